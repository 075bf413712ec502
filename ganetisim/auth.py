"""RAPI users (Ganeti's users file) and HTTP Basic authentication with realm "Ganeti Remote API".

File format, one user a line: `name password [options]`; `#` starts a comment; the password is
`{cleartext}secret`, `{HA1}<md5 of "name:Ganeti Remote API:secret">` or bare cleartext (not starting
with `{`); options are comma-separated `read`/`write`. Like ganeti-rapi before 3.2 the file is re-read
when it changes.
"""

import base64
import binascii
import hashlib
import hmac
import os
import threading
from pathlib import Path

REALM = "Ganeti Remote API"
READ, WRITE = "read", "write"


def parse_users(text):
    """{name: (password_spec, options)} from a users file's text."""
    users = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) < 2:
            continue
        options = {opt.strip().lower() for opt in parts[2].split(",")} if len(parts) > 2 else set()
        users[parts[0]] = (parts[1], options)
    return users


def password_matches(name, spec, password):
    lowered = spec.lower()
    if lowered.startswith("{cleartext}"):
        expected = spec[len("{cleartext}"):]
    elif lowered.startswith("{ha1}"):
        digest = hashlib.md5(("%s:%s:%s" % (name, REALM, password)).encode()).hexdigest()
        return hmac.compare_digest(digest, spec[len("{ha1}"):].lower())
    elif spec.startswith("{"):
        return False  # an unknown scheme never matches
    else:
        expected = spec
    return hmac.compare_digest(expected.encode(), password.encode())


class Users:
    def __init__(self, path):
        self.path = path
        self._lock = threading.Lock()
        self._stamp = None
        self._users = {}

    def _current(self):
        if self.path is None:
            return {}
        with self._lock:
            try:
                stat = os.stat(self.path)
                stamp = (stat.st_mtime_ns, stat.st_size)
            except FileNotFoundError:
                stamp = None
            if stamp != self._stamp:
                self._stamp = stamp
                self._users = parse_users(Path(self.path).read_text(encoding="utf-8")) if stamp else {}
            return self._users

    def authenticate(self, header):
        """(name, options) for a valid `Authorization: Basic ...` header, else None."""
        if not header or not header.lower().startswith("basic "):
            return None
        try:
            name, _, password = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        entry = self._current().get(name)
        if entry is None or not password_matches(name, entry[0], password):
            return None
        return name, entry[1]

