"""History (a user's own entries) and the audit log (everyone's, for helpdesk and superusers)."""

from django.http import JsonResponse
from django.shortcuts import render


def history(request):
    return render(request, "auditlog/history.html", {})


def history_json(request):
    return JsonResponse({"rows": [], "total": 0})
