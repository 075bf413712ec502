"""Instance lists, the detail page and the power actions (start, shutdown, reboot)."""

from __future__ import annotations

import ipaddress
from datetime import datetime, timezone

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from ganeti import permissions
from ganeti.models import Network
from ganeti.rapi import inventory
from ganeti.rapi.client import FINALIZED_JOB_STATUSES, GanetiApiError
from ganeti.rapi.connection import client_for
from ganeti.selectors import (
    InstancePage, cluster_list, instance_labels, instance_or_404, instance_page, instance_pending_job,
    instance_pending_jobs, locked_node_groups,
)
from ganeti.services import PowerActionRefused, instance_job_finished, instance_power_action

from .row_memo import RowMemo

# Status labels: key -> (text, Bootstrap colour).
INSTANCE_LABELS = {
    "running": (gettext_lazy("running"), "success"),
    "stopped": (gettext_lazy("stopped"), "secondary"),
    "mismatch": (gettext_lazy("mismatch"), "warning"),
    "unknown": (gettext_lazy("unknown"), "secondary"),
    "node_down": (gettext_lazy("node down"), "danger"),
    "admin_lock": (gettext_lazy("admin lock"), "danger"),
    "isolated": (gettext_lazy("isolated"), "danger"),
    "job_pending": (gettext_lazy("job pending"), "info"),
    "needs_reboot": (gettext_lazy("needs reboot"), "warning"),
    "maintenance": (gettext_lazy("node-group maintenance"), "warning"),
    "unreachable": (gettext_lazy("cluster unreachable"), "dark"),
}
# The power actions' button labels (their audit actions: ganeti.services.POWER_ACTIONS).
ACTIONS = {
    "startup": gettext_lazy("Start"),
    "shutdown": gettext_lazy("Shut down"),
    "reboot": gettext_lazy("Reboot"),
}
SORT_COLUMNS = ("name", "cluster", "status", "node", "memory", "vcpus", "disk")


# -- lists -----------------------------------------------------------------------------------------


def _list_params(request) -> dict:
    return {"query": request.GET.get("q", "")[:200], "cluster_slug": request.GET.get("cluster", "")[:50],
            "sort": request.GET.get("sort", "name")[:20], "page": request.GET.get("page", "1")[:9]}


def _page_rows(request, page) -> list[dict]:
    """What the page shows of each of its rows (and no more rows than that)."""
    user = request.user
    enabled = cluster_list() if page.clusters is None else page.clusters
    pending = instance_pending_jobs((i.cluster.pk, i.name) for i in page.rows)
    if pending:
        pending = _release_ended(enabled, pending)
    clusters = {cluster.slug: cluster for cluster in enabled}
    locked_nodes = locked_node_groups([clusters[slug] for slug in {i.cluster.slug for i in page.rows}
                                       if slug in clusters], page.groups) if page.rows else frozenset()
    rows = []
    for instance in page.rows:
        lock = pending.get((instance.cluster.pk, instance.name))
        labels = instance_labels(instance, pending=lock, locked_nodes=locked_nodes,
                                 unreachable=instance.cluster.slug in page.failed)
        rows.append({"instance": instance, "labels": [(key, *INSTANCE_LABELS[key]) for key in labels],
                     "may": permissions.instance_capabilities(user, instance), "pending_job": lock,
                     "ips": [ip for ip in instance.nic_ips if ip]})
    return rows


def _release_ended(enabled, pending: dict) -> dict:
    """Locks whose job the jobs snapshot shows ended are released here (the watcher may be late or down)."""
    clusters = {cluster.pk: cluster for cluster in enabled}
    locked_clusters = [clusters[pk] for pk in {pk for pk, _name in pending} if pk in clusters]
    jobs = {(row["cluster"].pk, row.get("id")): row for row in inventory.rows("jobs", locked_clusters).items}
    still = {}
    for (pk, name), lock in pending.items():
        job = jobs.get((pk, lock["job_id"]))
        if job and job.get("status") in FINALIZED_JOB_STATUSES and pk in clusters:
            instance_job_finished(cluster=clusters[pk], instance_name=name, job=job, action=lock.get("action", ""))
        else:
            still[(pk, name)] = lock
    return still


# The list's rows as rendered, per process: a row's HTML depends only on the instance (one snapshot's
# objects never change), its cluster's name, its labels, what the user may do, the pending job, the
# columns and the language, which together make the key.
_row_html = RowMemo()


def _render_rows(rows: list[dict], page, view_all: bool) -> None:
    """Set row["html"], the rendered _instance_row.html of each row, from the memo where it can."""
    language = get_language()
    for row in rows:
        instance = row["instance"]
        version = page.versions.get(instance.cluster.slug)
        key = None if version is None else (
            language, instance.cluster, version, instance.name, tuple(label for label, *_rest in row["labels"]),
            tuple(row["may"].items()), row["pending_job"] and row["pending_job"]["job_id"], view_all)
        row["html"] = _row_html.get(key, lambda row=row: render_to_string(
            "ganeti/_instance_row.html", {"row": row, "actions": ACTIONS, "view_all": view_all}))


@require_GET
def home(request):
    params = _list_params(request)
    page = instance_page(request.user, **params)
    view_all = permissions.can_view_all_instances(request.user)
    rows = _page_rows(request, page)
    _render_rows(rows, page, view_all)
    context = {
        "page": page, "rows": rows, "params": params, "clusters": page.clusters,
        "view_all": view_all, "sort_columns": SORT_COLUMNS, "actions": ACTIONS,
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "instance-list":
        return render(request, "ganeti/_instance_list.html", context)
    return render(request, "ganeti/home.html", context)


@require_GET
def instances_json(request):
    """{"rows": [...], "total": n, "filtered": n, "page": n, "pages": n, "per_page": n, "errors": [...]}:
    README.md ("Instances") documents the shape."""
    params = _list_params(request)
    page = instance_page(request.user, **params)
    view_all = permissions.can_view_all_instances(request.user)
    rows = []
    for row in _page_rows(request, page):
        instance = row["instance"]
        item = {
            "name": instance.name, "cluster": instance.cluster.slug, "cluster_label": instance.cluster.label,
            "state": instance.state, "status": instance.status, "labels": [key for key, *_rest in row["labels"]],
            "memory": instance.memory, "vcpus": instance.vcpus, "disk": instance.disk_total, "os": instance.os,
            "ips": row["ips"], "pending_job": row["pending_job"] and row["pending_job"]["job_id"],
            "url": reverse("ganeti:instance_detail", args=[instance.cluster.slug, instance.name]),
            "actions": [name for name in ACTIONS if row["may"]["operate"]],
        }
        if view_all:
            item.update(node=instance.pnode, secondary_nodes=list(instance.snodes),
                        networks=[n for n in (*instance.nic_networks, *instance.nic_links) if n][:4],
                        users=sorted(instance.users), groups=sorted(instance.groups))
        rows.append(item)
    return JsonResponse({
        "rows": rows, "total": page.total, "filtered": page.filtered, "page": page.page, "pages": page.pages,
        "per_page": page.per_page, "sort": page.sort,
        "errors": [{"cluster": error.cluster.slug, "message": error.message} for error in page.errors],
    })


# -- detail ----------------------------------------------------------------------------------------


def eui64(mac: str | None, prefix: str) -> str | None:
    """The EUI-64 IPv6 address of a MAC in a /64 prefix (SLAAC), or None."""
    if not mac or not prefix:
        return None
    try:
        octets = [int(part, 16) for part in mac.split(":")]
        network = ipaddress.IPv6Network(prefix, strict=False)
    except ValueError:
        return None
    if len(octets) != 6:
        return None
    octets[0] ^= 0x02
    interface = octets[:3] + [0xFF, 0xFE] + octets[3:]
    return str(network.network_address + int.from_bytes(bytes(interface), "big"))


def _timestamp(value):
    try:
        return datetime.fromtimestamp(float(value), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError):
        return None


def _detail_context(request, cluster, instance) -> dict:
    pending = instance_pending_job(cluster, instance.name)
    networks = {network.link: network for network in Network.objects.filter(cluster=cluster)}
    nics = []
    for nic in instance.nics:
        network = networks.get(nic["link"]) or networks.get(nic["network"])
        nics.append({**nic, "ipv6": eui64(nic["mac"], network.ipv6_prefix if network else "")})
    return {
        "cluster": cluster, "instance": instance, "may": permissions.instance_capabilities(request.user, instance),
        "pending_job": pending, "nics": nics, "actions": ACTIONS,
        "labels": [(key, *INSTANCE_LABELS[key]) for key in instance_labels(instance, pending=pending)],
        "created": _timestamp(instance.ctime), "modified": _timestamp(instance.mtime),
        "app_id": instance.meanings.application_id,
    }


@require_GET
def instance_detail(request, cluster, instance):
    cluster_slug, name = cluster, instance
    try:
        cluster, instance = instance_or_404(request.user, cluster_slug, name, live=True)
    except GanetiApiError as exc:
        return _cluster_failed(request, cluster_slug, name, exc)
    return render(request, "ganeti/instance_detail.html", _detail_context(request, cluster, instance))


def _cluster_failed(request, cluster_slug: str, name: str, exc: GanetiApiError):
    """The cluster did not answer: a page that says so. Whom it tells that much is decided on the last
    snapshot; without one, the page says no more than that the cluster does not answer."""
    try:
        cluster, _snapshot = instance_or_404(request.user, cluster_slug, name)
    except Http404:
        cluster = cluster_list().filter(slug=cluster_slug).first()
        if cluster is None or inventory.find_instance(cluster, name) is not None:
            raise  # unknown cluster, or a snapshot says the user may not see it
    return render(request, "ganeti/instance_detail.html",
                  {"cluster": cluster, "instance": None, "name": name, "cluster_error": str(exc)}, status=503)


@require_GET
def instance_poll(request, cluster, instance):
    """The action panel, again: while a job runs it polls itself; when the job ended, the whole panel
    is drawn anew from the live instance."""
    cluster_slug, name = cluster, instance
    cluster, instance = instance_or_404(request.user, cluster_slug, name)
    pending = instance_pending_job(cluster, name)
    if pending:
        try:
            job = client_for(cluster).get_job(pending["job_id"])
        except GanetiApiError:
            job = None
        if job and job["status"] in FINALIZED_JOB_STATUSES:
            instance_job_finished(cluster=cluster, instance_name=name, job=job, action=pending.get("action", ""))
            pending = None
    try:
        cluster, instance = instance_or_404(request.user, cluster_slug, name, live=True)
    except GanetiApiError as exc:
        return render(request, "ganeti/_instance_panel.html",
                      {"cluster": cluster, "instance": instance, "pending_job": pending, "may": {},
                       "cluster_error": str(exc)})
    return render(request, "ganeti/_instance_panel.html", _detail_context(request, cluster, instance))


# -- actions ---------------------------------------------------------------------------------------


def _power_action(request, cluster_slug: str, name: str, action: str):
    label = ACTIONS[action]
    try:
        cluster, instance = instance_or_404(request.user, cluster_slug, name, live=True)
    except GanetiApiError as exc:
        return _answer(request, cluster_slug, name, messages.ERROR,
                       _("The cluster could not be asked: %(reason)s") % {"reason": exc}, status=502)
    # The checks, the job, its audit entry and lock: ganeti.services, which the API uses too.
    try:
        job_id = instance_power_action(request=request, user=request.user, cluster=cluster, instance=instance,
                                       action=action)
    except PowerActionRefused as refused:
        if refused.code in ("not_allowed", "admin_locked"):
            raise PermissionDenied(refused.message) from None
        level = messages.INFO if refused.code == "already_running" else messages.WARNING
        return _answer(request, cluster_slug, name, level, refused.message, status=409)
    except GanetiApiError as exc:
        return _answer(request, cluster_slug, name, messages.ERROR,
                       _("%(action)s %(name)s failed: %(reason)s") % {"action": label, "name": name, "reason": exc},
                       status=502)
    return _answer(request, cluster_slug, name, messages.SUCCESS,
                   _("%(action)s %(name)s: job %(id)s submitted.") % {"action": label, "name": name, "id": job_id})


def _answer(request, cluster_slug: str, name: str, level: int, text: str, *, status: int = 200):
    """htmx: the fragment the button asked for (a list row or the detail page's action panel), with the
    message in it; a plain POST: the message, and a redirect back."""
    if not request.headers.get("HX-Request"):
        messages.add_message(request, level, text)
        if request.POST.get("next") == "list":
            return redirect("ganeti:home")
        return redirect("ganeti:instance_detail", cluster_slug, name)
    message = {"level": messages.DEFAULT_TAGS.get(level, "info"), "text": text}
    if request.POST.get("next") == "list":
        return _row_fragment(request, cluster_slug, name, message)
    try:
        cluster, instance = instance_or_404(request.user, cluster_slug, name, live=True)
    except GanetiApiError as exc:
        return render(request, "ganeti/_instance_panel.html", {"cluster_error": str(exc), "message": message})
    context = _detail_context(request, cluster, instance)
    context["message"] = message
    return render(request, "ganeti/_instance_panel.html", context)


def _row_fragment(request, cluster_slug: str, name: str, message: dict):
    cluster, instance = instance_or_404(request.user, cluster_slug, name)
    page = InstancePage(rows=[instance], total=1, filtered=1, page=1, pages=1, per_page=1, sort="name",
                        descending=False, errors=[], failed=frozenset())
    context = {"row": _page_rows(request, page)[0], "message": message, "actions": ACTIONS,
               "view_all": permissions.can_view_all_instances(request.user)}
    return render(request, "ganeti/_instance_row.html", context)


@require_POST
def instance_startup(request, cluster, instance):
    return _power_action(request, cluster, instance, "startup")


@require_POST
def instance_shutdown(request, cluster, instance):
    return _power_action(request, cluster, instance, "shutdown")


@require_POST
def instance_reboot(request, cluster, instance):
    return _power_action(request, cluster, instance, "reboot")
