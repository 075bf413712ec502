"""Fixtures of the accounts tests: the real slapd started by scripts/with-services.sh."""

import os

import pytest


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
