"""The noVNC console: the page, and the single-use token its websocket takes to websockify.

The browser never reaches a node: the token view checks the user and the instance live, resolves the
VNC endpoint (ganeti.rapi.console), writes a short-lived single-use token to Redis (ganeti.console_tokens)
and answers the websocket URL; websockify looks the token up (and deletes it) when noVNC connects.
"""

from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from auditlog.models import AuditAction
from auditlog.services import audit_record
from ganeti import console_tokens, permissions
from ganeti.rapi.client import GanetiApiError
from ganeti.rapi.connection import client_for
from ganeti.rapi.console import vnc_target
from ganeti.selectors import instance_or_404
from ganetimgr.responses import json_error

logger = logging.getLogger(__name__)
_token_stores: dict[str, redis.Redis] = {}


def token_store() -> redis.Redis:
    """The Redis client for console tokens: one per process and URL (its connections are pooled)."""
    url = settings.CONSOLE_TOKEN_REDIS_URL
    if url not in _token_stores:
        _token_stores[url] = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    return _token_stores[url]


def websocket_url(request, token: str) -> str:
    if settings.NOVNC_PROXY:
        scheme = "wss" if settings.NOVNC_USE_TLS else "ws"
        return f"{scheme}://{settings.NOVNC_PROXY}/{settings.NOVNC_PATH}?token={token}"
    scheme = "wss" if request.is_secure() else "ws"
    return f"{scheme}://{request.get_host()}/{settings.NOVNC_PATH}?token={token}"


def _unavailable_text(target) -> str:
    if target.kind == "serial":
        return _("This instance has a serial console only; VNC is not bound. Reach it with: %(command)s") % {
            "command": target.message}
    if target.kind == "spice":
        return _("This instance's console is SPICE (%(where)s), which the web console does not speak.") % {
            "where": target.message}
    return _("The cluster offers no VNC console for this instance: %(reason)s") % {
        "reason": target.message or _("no reason given")}


@require_GET
def instance_console(request, cluster, instance):
    if not settings.WEBSOCK_VNC_ENABLED:
        raise Http404("The web console is turned off.")
    cluster_slug, name = cluster, instance
    try:
        cluster, instance = instance_or_404(request.user, cluster_slug, name, live=True)
    except GanetiApiError as exc:
        cluster, _snapshot = instance_or_404(request.user, cluster_slug, name)
        return render(request, "ganeti/instance_console.html",
                      {"cluster": cluster, "name": name, "problem": str(exc), "cluster_error": True}, status=503)
    if not permissions.can_operate_instance(request.user, instance):
        raise PermissionDenied(_("You may not open this instance's console."))
    context = {"cluster": cluster, "instance": instance, "name": name}
    if not instance.is_running:
        context["stopped"] = True
        return render(request, "ganeti/instance_console.html", context)
    try:
        target = vnc_target(client_for(cluster), instance)
    except GanetiApiError as exc:
        context.update(problem=str(exc), cluster_error=True)
        return render(request, "ganeti/instance_console.html", context, status=503)
    if not target.is_vnc:
        context["problem"] = _unavailable_text(target)
    context["console_strings"] = {
        "asking": _("Asking for a console pass…"), "connecting": _("Connecting…"),
        "connected": _("Connected to %(name)s.") % {"name": name}, "disconnected": _("Disconnected."),
        "lost": _("The connection was lost or refused."), "failed": _("The console could not be opened:"),
        "security": _("The VNC server refused the connection:"),
        "session": _("Your session has ended: reload the page and log in again."),
    }
    return render(request, "ganeti/instance_console.html", context)


@require_POST
def instance_console_token(request, cluster, instance):
    """JSON {"url", "expires_in"}: the websocket URL with a fresh single-use token; JSON errors with a code."""
    if not settings.WEBSOCK_VNC_ENABLED:
        return json_error(404, "disabled", _("The web console is turned off."))
    cluster_slug, name = cluster, instance
    try:
        cluster, instance = instance_or_404(request.user, cluster_slug, name, live=True)
    except Http404:
        return json_error(404, "not_found", _("No such instance."))
    except GanetiApiError as exc:
        return json_error(502, "cluster_error", _("The cluster could not be asked: %(reason)s") % {"reason": exc})
    if not permissions.can_operate_instance(request.user, instance):
        audit_record(request=request, cluster=cluster, instance_name=name, action=AuditAction.CONSOLE,
                     authorized=False, details=_("Refused: not allowed."))
        return json_error(403, "forbidden", _("You may not open this instance's console."))
    if not instance.is_running:
        return json_error(409, "not_running", _("%(name)s is not running: start it first.") % {"name": name})
    try:
        target = vnc_target(client_for(cluster), instance)
    except GanetiApiError as exc:
        return json_error(502, "cluster_error", _("The cluster could not be asked: %(reason)s") % {"reason": exc})
    if not target.is_vnc:
        return json_error(409, "no_vnc", _unavailable_text(target))
    token = console_tokens.new_token()
    try:
        console_tokens.store(token_store(), token, target.host, target.port, settings.CONSOLE_TOKEN_SECONDS,
                             cluster=cluster.slug, instance=name, user=request.user.get_username())
    except redis.RedisError as exc:
        # The reason names the store's address: for the operators' log, not for the user.
        logger.error("console token store unreachable (%s/%s for %s): %s", cluster.slug, name,
                     request.user.get_username(), exc)
        return json_error(503, "token_store", _("The console service is not available right now. Try again "
                                                "in a moment; if it lasts, tell the administrators."))
    audit_record(request=request, cluster=cluster, instance_name=name, action=AuditAction.CONSOLE,
                 details="%s:%d" % (target.host, target.port))
    return JsonResponse({"url": websocket_url(request, token), "expires_in": settings.CONSOLE_TOKEN_SECONDS})
