"""The server certificate: self-signed, as ganeti-rapi serves the cluster's own one. Made at start, or
kept in a file (--tls-cert) so that a restarted simulator shows the certificate a client pinned."""

import datetime
import ipaddress
import os
import ssl
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def make_context(common_name, addresses, cert_path=None):
    """(server SSLContext, SHA-256 fingerprint as colon-separated hex). cert_path: a PEM file with key
    and certificate, used when it exists and written (mode 0600) when it does not."""
    if cert_path and os.path.exists(cert_path):
        with open(cert_path, "rb") as pem:
            cert = x509.load_pem_x509_certificate(pem.read())
        return _context(cert_path), cert.fingerprint(hashes.SHA256()).hex(":").upper()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    alt_names = [x509.DNSName(common_name), x509.DNSName("localhost")]
    alt_names += [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365 * 5))
            .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
            .sign(key, hashes.SHA256()))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()) + cert.public_bytes(serialization.Encoding.PEM)
    fingerprint = cert.fingerprint(hashes.SHA256()).hex(":").upper()
    if cert_path:
        _write_private(cert_path, pem)
        return _context(cert_path), fingerprint
    # ssl loads certificates from files only; without --tls-cert this one lives just long enough to be read.
    with tempfile.TemporaryDirectory(prefix="ganetisim-tls-") as tmp:
        path = os.path.join(tmp, "rapi.pem")
        _write_private(path, pem)
        return _context(path), fingerprint


def _write_private(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _context(pem_path):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem_path)
    return context
