"""History (a user's own entries) and the audit log (everyone's, for helpdesk and superusers)."""

from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ganeti.permissions import can_view_audit_log

from .selectors import audit_entries_for

PER_PAGE = 50


def _page(request):
    query = request.GET.get("q", "")[:200]
    entries = audit_entries_for(request.user, query=query)
    return query, Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))


@require_GET
def history(request):
    query, page = _page(request)
    return render(request, "auditlog/history.html",
                  {"page": page, "query": query, "everyone": can_view_audit_log(request.user)})


@require_GET
def history_json(request):
    """{"rows": [...], "total": n, "page": n, "pages": n}: README.md ("Instances") documents it."""
    _query, page = _page(request)
    rows = [{
        "created": entry.created.isoformat(), "user": entry.requester.username if entry.requester else None,
        "ip": entry.ip, "cluster": entry.cluster_slug, "instance": entry.instance_name, "action": entry.action,
        "job_id": entry.job_id, "authorized": entry.authorized, "details": entry.details,
    } for entry in page.object_list]
    return JsonResponse({"rows": rows, "total": page.paginator.count, "page": page.number,
                         "pages": page.paginator.num_pages})
