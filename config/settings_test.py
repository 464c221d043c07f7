"""Test settings: the production settings, with what makes tests fast and self-contained."""

import os
import tempfile

# Tests run against PostgreSQL and Redis like production, which requires a key of its own.
os.environ.setdefault("SECRET_KEY", "tests-only-" + "k" * 40)

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A real worker process started by a test reads uploads from the same folder.
MEDIA_ROOT = os.environ.setdefault("TEST_MEDIA_ROOT", tempfile.mkdtemp(prefix="secondlife-media-"))
# The default static storage with nothing collected (plain names, served from the finders),
# whatever a local `staticfiles/` holds; tests that collect use a folder of their own.
STATIC_ROOT = os.path.join(MEDIA_ROOT, "static-not-collected")
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Tests run tasks in-process; the real-worker test switches this off for itself.
CELERY_TASK_ALWAYS_EAGER = True
# The test client and the live server speak plain http; tests of the production security
# settings read config.settings in a process of their own.
SECURE_SSL_REDIRECT = False
