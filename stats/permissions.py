"""Who sees which statistics (views and templates ask these and nothing else)."""

from ganeti.permissions import can_view_all_instances

__all__ = ["can_view_platform_stats"]


def can_view_platform_stats(user) -> bool:
    """Platform counters, every cluster's instances and the per-owner table: helpdesk and superusers.
    Everyone else sees the numbers of the instances and applications that are theirs."""
    return can_view_all_instances(user)
