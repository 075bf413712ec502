"""Every access decision of the notifications app."""

from ganeti.permissions import can_view_all_instances

__all__ = ["can_notify", "can_view_notification_archive"]


def can_notify(user) -> bool:
    """Helpdesk (perm ganeti.view_instances) and superusers mail users and instance owners."""
    return can_view_all_instances(user)


def can_view_notification_archive(user) -> bool:
    """An archived notification's page: superusers, or perm notifications.can_view_notif."""
    return bool(user is not None and user.is_authenticated and user.is_active
                and (user.is_superuser or user.has_perm("notifications.can_view_notif")))
