import logging

from django.contrib.auth.backends import AllowAllUsersModelBackend
from django_auth_ldap.backend import LDAPBackend as BaseLDAPBackend

logger = logging.getLogger(__name__)


class ActivationAwareBackend(AllowAllUsersModelBackend):
    """Checks the password of inactive users too, so the login form can tell them their account awaits
    activation (and refuse them); but an inactive user's existing sessions no longer authenticate."""

    def get_user(self, user_id):
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None


class LDAPBackend(BaseLDAPBackend):
    """django-auth-ldap's backend, whose deactivated users lose their sessions like local ones, and which
    never logs a directory user into a local account (one with a password here) of the same name."""

    def get_or_build_user(self, username, ldap_user):
        user, built = super().get_or_build_user(username, ldap_user)
        if not built and user.has_usable_password():
            logger.warning("directory user %s refused: a local account has that username", username)
            raise ldap_user.AuthenticationFailed("a local account has this username")
        return user, built

    def get_user(self, user_id):
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None
