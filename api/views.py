"""The API: the original's /instances/list/ and /user/details/ (their JSON shapes kept), and /api/v1/
(one instance, its power actions, the OpenAPI description). Every view but the description needs an
access token (api/auth.py); access is decided by ganeti.permissions, as for the pages."""

import json
from copy import deepcopy
from datetime import datetime, timezone
from pathlib import Path

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from ganeti import permissions
from ganeti.rapi.client import GanetiApiError
from ganeti.selectors import instance_or_404, instance_pending_job
from ganeti.services import POWER_ACTIONS, PowerActionRefused, instance_power_action

from ganetimgr.responses import json_error

from .auth import token_required
from .selectors import owned_instances

OPENAPI = json.loads((Path(__file__).resolve().parent / "openapi.json").read_text())


def _method_not_allowed(*allowed: str) -> JsonResponse:
    return json_error(405, "method_not_allowed", _("Use %(methods)s here.") % {"methods": ", ".join(allowed)},
                      Allow=", ".join(allowed))


def _user(user) -> dict:
    return {"username": user.username, "email": user.email, "id": user.pk}


def _not_found() -> JsonResponse:
    return json_error(404, "not_found", _("No such instance."))


@token_required("read")
def user_details(request):
    """{"username", "email", "id"} of the token's user."""
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed("GET")
    return JsonResponse(_user(request.user))


@token_required("read")
def instances_list(request):
    """{"user": {...}, "response": {"instances": [names], "errors": bool, "failed_clusters": [slugs]}}:
    the instances the token's user owns, with ?tag=<full tag> those carrying exactly that tag."""
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed("GET")
    owned = owned_instances(request.user, tag=request.GET.get("tag") or None)
    return JsonResponse({"user": _user(request.user), "response": {
        "instances": owned.names, "errors": bool(owned.failed_clusters), "failed_clusters": owned.failed_clusters}})


def _live_instance(request, cluster_slug: str, name: str):
    """(cluster, live instance, None), or (None, None, the error answer): 404 for an instance the user
    may not see (or a missing one), 502 when its cluster does not answer (told only to a user the last
    snapshot shows may see the instance)."""
    try:
        cluster, instance = instance_or_404(request.user, cluster_slug, name, live=True)
    except Http404:
        return None, None, _not_found()
    except GanetiApiError as exc:
        try:
            instance_or_404(request.user, cluster_slug, name)  # the snapshot: a failing cluster is not raised
        except Http404:
            return None, None, _not_found()
        return None, None, json_error(502, "cluster_unavailable",
                                      _("The cluster could not be asked: %(reason)s") % {"reason": exc})
    return cluster, instance, None


def _time(value) -> str | None:
    try:
        return datetime.fromtimestamp(float(value), tz=timezone.utc).isoformat()
    except (TypeError, ValueError, OverflowError):
        return None


def _instance_json(request, cluster, instance) -> dict:
    user = request.user
    pending = instance_pending_job(cluster, instance.name)
    meanings = instance.meanings
    nics = [{"mac": mac, "ip": ip, "network": network or None, "link": link or None, "mode": mode or None}
            for mac, ip, network, link, mode in zip(instance.nic_macs, instance.nic_ips, instance.nic_networks,
                                                    instance.nic_links, instance.nic_modes)]
    data = {
        "name": instance.name, "cluster": cluster.slug, "cluster_label": instance.cluster.label,
        "state": instance.state, "status": instance.status, "admin_state": instance.admin_state or None,
        "os": instance.os, "memory": instance.memory, "vcpus": instance.vcpus,
        "disk_template": instance.disk_template, "disks": [size for size in instance.disk_sizes if size is not None],
        "nics": nics, "users": sorted(meanings.users), "groups": sorted(meanings.groups),
        "admin_locked": meanings.admin_locked, "isolated": meanings.isolated, "needs_reboot": meanings.needs_reboot,
        "created": _time(instance.ctime), "modified": _time(instance.mtime),
        "pending_job": pending["job_id"] if pending else None,
        "actions": list(POWER_ACTIONS) if permissions.can_operate_instance(user, instance) else [],
        "url": request.build_absolute_uri(reverse("ganeti:instance_detail", args=[cluster.slug, instance.name])),
    }
    if permissions.can_view_all_instances(user):
        data.update(primary_node=instance.pnode, secondary_nodes=list(instance.snodes))
    return data


@token_required("read")
def instance(request, cluster, instance):
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed("GET")
    cluster, live, error = _live_instance(request, cluster, instance)
    if error is not None:
        return error
    return JsonResponse(_instance_json(request, cluster, live))


@token_required("write")
def instance_action(request, cluster, instance, action):
    """Start, shut down or reboot: 202 {"job_id": n}, through the pages' service (same checks, audit
    entry in the token's user's name, action lock, watcher message)."""
    if request.method != "POST":
        return _method_not_allowed("POST")
    if action not in POWER_ACTIONS:
        return json_error(404, "unknown_action", _("Unknown action: use startup, shutdown or reboot."))
    cluster, live, error = _live_instance(request, cluster, instance)
    if error is not None:
        return error
    try:
        job_id = instance_power_action(request=request, user=request.user, cluster=cluster, instance=live,
                                       action=action)
    except PowerActionRefused as refused:
        status = 403 if refused.code in ("not_allowed", "admin_locked") else 409
        return json_error(status, refused.code, refused.message)
    except GanetiApiError as exc:
        return json_error(502, "cluster_error", _("The cluster refused the job: %(reason)s") % {"reason": exc})
    return JsonResponse({"job_id": job_id}, status=202)


@login_not_required
@require_safe
def openapi(request):
    """The OpenAPI 3.1 description of this API (api/openapi.json), with this site's addresses."""
    spec = deepcopy(OPENAPI)
    spec["servers"] = [{"url": request.build_absolute_uri("/").rstrip("/")}]
    flows = spec["components"]["securitySchemes"]["oauth2"]["flows"]
    authorize = request.build_absolute_uri(reverse("oauth2_provider:authorize"))
    flows["authorizationCode"]["authorizationUrl"] = flows["implicit"]["authorizationUrl"] = authorize
    flows["authorizationCode"]["tokenUrl"] = request.build_absolute_uri(reverse("oauth2_provider:token"))
    flows["authorizationCode"]["refreshUrl"] = flows["authorizationCode"]["tokenUrl"]
    return JsonResponse(spec)
