"""Receivers of the accounts app (connected in AccountsConfig.ready): thin, the writes are in services."""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver

from . import services
from .backends import DIRECTORY_BUILT


@receiver(user_logged_in, dispatch_uid="accounts.login_started")
def login_started(sender, request, user, **kwargs):
    """Every login, a repeated one by the same user too, lasts SESSION_COOKIE_AGE from now."""
    if request is not None and hasattr(request, "session"):
        services.session_login_started(request=request)


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="accounts.directory_account_made")
def directory_account_made(sender, instance, created, **kwargs):
    """The LDAP backend built this user (accounts/backends.py): record it on the account's profile."""
    if created and getattr(instance, DIRECTORY_BUILT, False):
        services.directory_account_mark(user=instance)
