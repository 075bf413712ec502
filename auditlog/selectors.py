"""Reads of the auditlog app."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from ganeti.permissions import can_view_audit_log

from .models import AuditEntry

__all__ = ["audit_entries_for"]


def audit_entries_for(user, *, query: str = "", everyone: bool | None = None) -> QuerySet[AuditEntry]:
    """The user's own entries ("History"), or, for helpdesk and superusers, everyone's ("Audit log")
    of the last AUDIT_ENTRIES_LAST_X_DAYS days (0: all), searched by instance, cluster, user, action
    or job id."""
    entries = AuditEntry.objects.select_related("requester")
    show_all = can_view_audit_log(user) if everyone is None else (everyone and can_view_audit_log(user))
    if show_all:
        days = getattr(settings, "AUDIT_ENTRIES_LAST_X_DAYS", 0)
        if days:
            entries = entries.filter(created__gte=timezone.now() - timedelta(days=days))
    else:
        entries = entries.filter(requester=user)
    query = query.replace("\x00", "").strip()  # PostgreSQL refuses NUL in a text
    if query:
        condition = (Q(instance_name__icontains=query) | Q(cluster_slug__icontains=query)
                     | Q(requester__username__icontains=query) | Q(action__iexact=query) | Q(details__icontains=query))
        if query.isascii() and query.isdigit() and len(query) < 19:  # "²".isdigit(); a bigint's range
            condition |= Q(job_id=int(query))
        entries = entries.filter(condition)
    return entries
