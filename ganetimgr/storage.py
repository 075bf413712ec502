from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed files after collectstatic; plain names before it (tests, a fresh checkout)."""

    manifest_strict = False
