from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed files after collectstatic; the plain names before it (tests, a fresh checkout),
    which WhiteNoise then serves through the finders (WHITENOISE_USE_FINDERS)."""

    manifest_strict = False

    def stored_name(self, name):
        try:
            return super().stored_name(name)
        except ValueError:  # not collected (yet): a missing file then answers 404, not a 500
            return name
