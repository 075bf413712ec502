"""Parsing OpenSSH public key lines: type, key, comment and the SHA256 fingerprint OpenSSH shows."""

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_ssh_public_key
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

__all__ = ["ParsedKey", "parse_key_line", "ACCEPTED_TYPES", "MIN_RSA_BITS"]

ACCEPTED_TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa")
MIN_RSA_BITS = 2048


@dataclass(frozen=True)
class ParsedKey:
    key_type: str
    public_key: str
    comment: str
    fingerprint: str


def fingerprint_of(blob: bytes) -> str:
    """SHA256:<base64 without padding>, as `ssh-keygen -l` prints it."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def parse_key_line(line: str) -> ParsedKey:
    """One public key line; ValidationError with a message for the user when it is not an accepted key."""
    parts = line.strip().split(None, 2)
    if len(parts) < 2:
        raise ValidationError(_("“%(line)s” is not an OpenSSH public key line (type, key, optional comment)."),
                              params={"line": _short(line)}, code="malformed")
    key_type, data = parts[0], parts[1]
    comment = parts[2].strip() if len(parts) == 3 else ""
    if key_type == "ssh-dss":
        raise ValidationError(_("DSA keys are no longer safe and are not accepted: use an ed25519, ecdsa or RSA key."),
                              code="dsa")
    if key_type not in ACCEPTED_TYPES:
        raise ValidationError(_("Keys of type “%(type)s” are not accepted: use an ed25519, ecdsa or RSA key."),
                              params={"type": _short(key_type)}, code="type")
    try:
        blob = base64.b64decode(data, validate=True)
        key = load_ssh_public_key(f"{key_type} {data}".encode())
    except (binascii.Error, ValueError, TypeError):
        raise ValidationError(_("The %(type)s key “%(line)s” is damaged: copy the whole line of the .pub file."),
                              params={"type": key_type, "line": _short(line)}, code="damaged") from None
    if _embedded_type(blob) != key_type:
        raise ValidationError(_("The %(type)s key “%(line)s” is damaged: copy the whole line of the .pub file."),
                              params={"type": key_type, "line": _short(line)}, code="damaged")
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        raise ValidationError(_("This RSA key has %(bits)s bits; at least %(minimum)s are needed."),
                              params={"bits": key.key_size, "minimum": MIN_RSA_BITS}, code="short")
    return ParsedKey(key_type=key_type, public_key=data, comment=comment[:255], fingerprint=fingerprint_of(blob))


def _embedded_type(blob: bytes) -> str:
    """The key type written at the start of the key blob (a length-prefixed string)."""
    length = int.from_bytes(blob[:4], "big")
    return blob[4:4 + length].decode("ascii", "replace")


def _short(text: str, limit: int = 40) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit - 1] + "…"
