"""Secrets kept in the database (RAPI passwords), encrypted with Fernet.

The key is derived from SECRET_KEY with HKDF, so there is no second key to lose. Values written
under an older key can still be read while that key is listed in SECRET_KEY_FALLBACKS; saving the
cluster again (or `manage.py reencrypt_secrets`) rewrites them under the current key.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

__all__ = ["SecretDecryptionError", "encrypt_secret", "decrypt_secret", "needs_reencryption"]

_INFO = b"ganetimgr secrets at rest v1"


class SecretDecryptionError(Exception):
    """A stored secret was written under a key that is neither SECRET_KEY nor a fallback."""


def _fernet_for(secret_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return MultiFernet([_fernet_for(key) for key in keys])


def encrypt_secret(plaintext: str) -> str:
    """The Fernet token (ASCII) of plaintext under the current SECRET_KEY."""
    return _fernet().encrypt(plaintext.encode()).decode("ascii")


def decrypt_secret(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        raise SecretDecryptionError(
            "a stored secret cannot be decrypted: SECRET_KEY changed without the old key in "
            "SECRET_KEY_FALLBACKS; enter the secret again in the admin"
        ) from None


def needs_reencryption(token: str) -> bool:
    """True when token decrypts only under a SECRET_KEY_FALLBACKS key; SecretDecryptionError when under none."""
    if not token:
        return False
    try:
        _fernet_for(settings.SECRET_KEY).decrypt(token.encode("ascii"))
    except InvalidToken:
        decrypt_secret(token)  # raises SecretDecryptionError when no fallback key works either
        return True
    return False
