"""Static files storage: hashed, compressed names once collected, plain names until then."""

import logging

from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)


class FallbackManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's compressed manifest storage, usable before ``collectstatic`` has run.

    ``collectstatic`` works exactly as with the parent: hashed and compressed copies in
    STATIC_ROOT and the manifest beside them. Once a manifest exists, URLs use the hashed names
    and a name missing from the manifest is an error, as in production. While no manifest has
    been collected, URLs use the plain names, which WhiteNoise serves from the finders (see
    WHITENOISE_USE_FINDERS in settings), and a warning says once to run ``collectstatic``.
    """

    manifest_found = False
    _warned_not_collected = False

    def read_manifest(self):
        content = super().read_manifest()
        self.manifest_found = content is not None
        return content

    def save_manifest(self):
        super().save_manifest()
        self.manifest_found = True

    def stored_name(self, name):
        if self.manifest_found:
            return super().stored_name(name)
        if not self._warned_not_collected:
            self._warned_not_collected = True
            logger.warning(
                "No staticfiles manifest in %s: serving static files unhashed and uncompressed "
                "from the source folders. Run `python manage.py collectstatic` for hashed, "
                "compressed files (production).",
                self.location,
            )
        return name
