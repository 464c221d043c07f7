"""Test settings: the production settings, with what makes tests fast and self-contained."""

import os
import tempfile

from .settings import *  # noqa: F403
from .settings import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# A real worker process started by a test reads uploads from the same folder.
MEDIA_ROOT = os.environ.setdefault("TEST_MEDIA_ROOT", tempfile.mkdtemp(prefix="secondlife-media-"))

# Tests run tasks in-process; the real-worker test switches this off for itself.
CELERY_TASK_ALWAYS_EAGER = True
