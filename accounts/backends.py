import logging

from django.contrib.auth.backends import AllowAllUsersModelBackend
from django_auth_ldap.backend import LDAPBackend as BaseLDAPBackend

from . import permissions

logger = logging.getLogger(__name__)

# Set on a User this backend builds; the post_save receiver (accounts/signals.py) then records, on the
# account's profile, that the directory made it.
DIRECTORY_BUILT = "_ganetimgr_directory_built"


class ActivationAwareBackend(AllowAllUsersModelBackend):
    """Checks the password of inactive users too, so the login form can tell them their account awaits
    activation (and refuse them); but an inactive user's existing sessions no longer authenticate."""

    def get_user(self, user_id):
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None


class LDAPBackend(BaseLDAPBackend):
    """django-auth-ldap's backend, whose deactivated users lose their sessions like local ones, and which
    logs directory users only into the accounts it made itself: never into a local account of the same
    name (case-insensitively), whether or not that account has a password here."""

    def get_or_build_user(self, username, ldap_user):
        user, built = super().get_or_build_user(username, ldap_user)
        if built:
            setattr(user, DIRECTORY_BUILT, True)
        elif not permissions.directory_may_log_into(user):
            logger.warning("directory user %s refused: a local account has that username", username)
            raise ldap_user.AuthenticationFailed("a local account has this username")
        return user, built

    def get_user(self, user_id):
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None
