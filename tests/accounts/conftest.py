"""Fixtures of the accounts tests: the real SMTP sink and slapd started by scripts/with-services.sh."""

import mailbox
import os
import re
import time
from email.header import decode_header, make_header
from pathlib import Path

import pytest

ADMIN_ADDRESS = "approver@ganetimgr.test"


class Sink:
    """The messages the SMTP sink stored, read from its Maildir."""

    def __init__(self, directory: Path):
        self.directory = directory

    def clear(self):
        for sub in ("new", "cur", "tmp"):
            for path in (self.directory / sub).glob("*"):
                path.unlink()

    def messages(self) -> list[dict]:
        box = mailbox.Maildir(str(self.directory), create=False)
        found = []
        for message in box:
            part = message.get_payload(0) if message.is_multipart() else message
            found.append({
                "to": message["X-RcptTo"] or message["To"],
                "subject": str(make_header(decode_header(message["Subject"]))),
                "body": part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8"),
            })
        return found

    def wait_for(self, to: str, subject_part: str, timeout: float = 5) -> dict:
        """The first message to `to` whose subject contains subject_part; delivery is asynchronous."""
        deadline = time.monotonic() + timeout
        while True:
            for message in self.messages():
                if to in message["to"] and subject_part in message["subject"]:
                    return message
            if time.monotonic() > deadline:
                raise AssertionError(f"no mail to {to} about {subject_part!r}; the sink has {self.messages()}")
            time.sleep(0.05)

    def to(self, address: str) -> list[dict]:
        return [message for message in self.messages() if address in message["to"]]


def link_in(body: str) -> str:
    """The first http(s) link of a mail body."""
    return re.search(r"https?://\S+", body).group(0)


@pytest.fixture
def smtp_sink(settings):
    """Mail goes through real SMTP to the sink; the tests read what it received."""
    if "SMTP_SINK_PORT" not in os.environ:
        pytest.fail("SMTP_SINK_PORT is not set: run the tests with `make test` (scripts/with-services.sh)")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = os.environ["SMTP_SINK_HOST"]
    settings.EMAIL_PORT = int(os.environ["SMTP_SINK_PORT"])
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.ADMINS = [("Approver", ADMIN_ADDRESS)]
    sink = Sink(Path(os.environ["SMTP_SINK_MAILDIR"]))
    sink.clear()
    return sink


@pytest.fixture
def dead_mail_server(settings):
    """Mail goes to a port where nothing listens: sending fails."""
    from tests.helpers import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    settings.ADMINS = [("Approver", ADMIN_ADDRESS)]


@pytest.fixture
def ldap_settings(settings):
    """LDAP logins against the test slapd, as settings.py sets them up from AUTH_LDAP_* variables."""
    if "LDAP_TEST_URI" not in os.environ:
        pytest.fail("LDAP_TEST_URI is not set: run the tests with `make test` (scripts/with-services.sh)")
    import ldap
    from django_auth_ldap.config import GroupOfNamesType, LDAPSearch

    base = os.environ["LDAP_TEST_BASE_DN"]
    settings.AUTH_LDAP_SERVER_URI = os.environ["LDAP_TEST_URI"]
    settings.AUTH_LDAP_BIND_DN = os.environ["LDAP_TEST_BIND_DN"]
    settings.AUTH_LDAP_BIND_PASSWORD = os.environ["LDAP_TEST_BIND_PASSWORD"]
    settings.AUTH_LDAP_USER_SEARCH = LDAPSearch(f"ou=people,{base}", ldap.SCOPE_SUBTREE, "(uid=%(user)s)")
    settings.AUTH_LDAP_USER_ATTR_MAP = {"first_name": "givenName", "last_name": "sn", "email": "mail"}
    settings.AUTH_LDAP_GROUP_SEARCH = LDAPSearch(f"ou=groups,{base}", ldap.SCOPE_SUBTREE, "(objectClass=groupOfNames)")
    settings.AUTH_LDAP_GROUP_TYPE = GroupOfNamesType()
    settings.AUTH_LDAP_USER_FLAGS_BY_GROUP = {"is_staff": f"cn=helpdesk,ou=groups,{base}"}
    settings.AUTH_LDAP_CONNECTION_OPTIONS = {ldap.OPT_NETWORK_TIMEOUT: 5}
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "accounts.backends.LDAPBackend"]
    return settings
