"""Every access decision of the accounts app."""

from ganeti.permissions import can_view_all_instances

from . import selectors

__all__ = [
    "can_view_idle_accounts",
    "can_approve_registrations",
    "directory_may_log_into",
    "can_change_email_here",
    "can_change_password_here",
    "can_view_user_info",
]


def can_view_idle_accounts(user) -> bool:
    """Helpdesk (may view all instances) and superusers see the idle accounts."""
    return user.is_active and (user.is_superuser or user.has_perm("ganeti.view_instances"))


def can_approve_registrations(user) -> bool:
    """Only superusers approve new accounts, as in the original."""
    return user.is_active and user.is_superuser


def directory_may_log_into(user) -> bool:
    """A directory (LDAP) login may use an existing account only when the directory made it."""
    return selectors.is_directory_account(user)


def can_change_email_here(user) -> bool:
    """Directory accounts get their address from the directory at every login."""
    return not selectors.is_directory_account(user)


def can_change_password_here(user) -> bool:
    """Local accounts with a password; directory accounts' passwords are the directory's."""
    return user.has_usable_password() and not selectors.is_directory_account(user)


def can_view_user_info(user) -> bool:
    """The user and group info pages: helpdesk (may view all instances) and superusers."""
    return can_view_all_instances(user)
