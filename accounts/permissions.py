"""Every access decision of the accounts app."""

__all__ = ["can_view_idle_accounts", "can_approve_registrations"]


def can_view_idle_accounts(user) -> bool:
    """Helpdesk (may view all instances) and superusers see the idle accounts."""
    return user.is_active and (user.is_superuser or user.has_perm("ganeti.view_instances"))


def can_approve_registrations(user) -> bool:
    """Only superusers approve new accounts, as in the original."""
    return user.is_active and user.is_superuser
