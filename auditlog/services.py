"""Writes of the auditlog app."""

from __future__ import annotations

from accounts.throttling import client_ip

from .models import AuditEntry

__all__ = ["audit_record", "audit_add_details"]


def audit_record(*, request=None, user=None, cluster, instance_name: str, action: str, job_id: int | None = None,
                 authorized: bool = True, details: str = "") -> AuditEntry:
    """Record one action on one instance. `user` defaults to the request's user; the IP comes from the
    request (the proxy's X-Forwarded-For only when the request came through the trusted local proxy).
    `cluster` is a Cluster (or None when it is gone)."""
    if user is None and request is not None:
        user = request.user
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return AuditEntry.objects.create(
        requester=user, ip=client_ip(request) if request is not None else None,
        cluster=cluster, cluster_slug=getattr(cluster, "slug", "") or "", instance_name=instance_name,
        action=action, job_id=job_id, authorized=authorized, details=details,
    )


def audit_add_details(*, cluster_slug: str, job_id: int, details: str) -> int:
    """Append a line (e.g. how a job ended) to the entries of one job; returns how many."""
    entries = list(AuditEntry.objects.filter(cluster_slug=cluster_slug, job_id=job_id))
    for entry in entries:
        entry.details = f"{entry.details}\n{details}".strip()
        entry.save(update_fields=["details"])
    return len(entries)
