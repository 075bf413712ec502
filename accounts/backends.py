from django.contrib.auth.backends import AllowAllUsersModelBackend
from django_auth_ldap.backend import LDAPBackend as BaseLDAPBackend


class ActivationAwareBackend(AllowAllUsersModelBackend):
    """Checks the password of inactive users too, so the login form can tell them their account awaits
    activation (and refuse them); but an inactive user's existing sessions no longer authenticate."""

    def get_user(self, user_id):
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None


class LDAPBackend(BaseLDAPBackend):
    """django-auth-ldap's backend, whose deactivated users lose their sessions like local ones."""

    def get_user(self, user_id):
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None
