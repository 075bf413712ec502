"""Helpdesk pages of the infrastructure: cluster info, nodes, the instance popup, and clear cache.

Who may: ganeti.permissions.can_view_infrastructure (helpdesk and superusers) and can_clear_cache
(superusers). A logged-in user without it gets 403 (JSON endpoints a JSON error); anonymous visitors
are sent to the login page by the login-required middleware.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ganeti import permissions
from ganeti.selectors import NODE_ROLES, cluster_detail, cluster_list, enabled_cluster, instance_popup, node_page
from ganeti.services import clear_caches, cluster_refresh
from ganetimgr.responses import json_error



def forbidden_json() -> JsonResponse:
    return json_error(403, "forbidden", _("Only helpdesk users and administrators may see this."))


def require_infrastructure(request) -> None:
    if not permissions.can_view_infrastructure(request.user):
        raise PermissionDenied(_("Only helpdesk users and administrators may see this."))


def role_labels() -> dict:
    """Role -> (label, Bootstrap colour) of the role badges and filter buttons, in the request's language."""
    return {"master": (_("Master"), "primary"), "master-candidate": (_("Candidate"), "info"),
            "regular": (_("Regular"), "secondary"), "drained": (_("Drained"), "warning"),
            "offline": (_("Offline"), "danger")}


def monitoring_url(node_name: str) -> str | None:
    base = settings.SERVER_MONITORING_URL
    return f"{base.rstrip('/')}/{node_name}" if base else None


def node_json(node, group_name: str | None) -> dict:
    """One node as the JSON endpoints give it; the instance links carry the node's own cluster."""
    def links(names):
        return [{"name": name, "url": reverse("ganeti:instance_detail", args=[node.cluster.slug, name])}
                for name in names]

    return {
        "name": node.name, "cluster": node.cluster.slug, "cluster_label": node.cluster.label, "group": group_name,
        "role": node.role, "offline": node.offline, "drained": node.drained, "cpus": node.cpu_total,
        "memory_total": node.memory_total, "memory_free": node.memory_free,
        "memory_used_percent": node.memory_used_percent, "disk_total": node.disk_total, "disk_free": node.disk_free,
        "disk_used_percent": node.disk_used_percent,
        "primary_instances": links(node.primary_instances), "secondary_instances": links(node.secondary_instances),
        "monitoring_url": monitoring_url(node.name),
    }


def errors_json(errors) -> list[dict]:
    return [{"cluster": error.cluster.slug, "message": error.message} for error in errors]


# -- cluster info ----------------------------------------------------------------------------------


def _selected_cluster(request):
    """The enabled cluster named by ?cluster=, None when none is named; Http404 for an unknown one."""
    slug = request.GET.get("cluster", "")
    if not slug:
        return None
    cluster = enabled_cluster(slug)
    if cluster is None:
        raise Http404(_("No such cluster."))
    return cluster


@require_GET
def cluster_detail_page(request):
    require_infrastructure(request)
    cluster = _selected_cluster(request)
    context = {"clusters": cluster_list(), "selected": cluster, "role_labels": role_labels()}
    if cluster is not None:
        detail = cluster_detail(cluster)
        context.update(detail=detail, node_rows=[
            {"node": node, "monitoring_url": monitoring_url(node.name)} for node in detail.nodes])
    return render(request, "ganeti/cluster_detail.html", context)


@require_GET
def cluster_detail_json(request):
    """{"cluster": {slug, description, hostname}, "age_seconds", "errors": [{cluster, message}], "info":
    {name, master, software_version, default_hypervisor, enabled_hypervisors, enabled_disk_templates,
    ipolicy} | null, "instance_count", "node_groups": [{name, alloc_policy, locked, instances, networks:
    [{name, mode, link}], nodes: [names]}], "nodes": [node], "networks": [{name, network, gateway, network6,
    free, reserved, size, used_percent, groups, instances}]}."""
    if not permissions.can_view_infrastructure(request.user):
        return forbidden_json()
    if not request.GET.get("cluster"):
        return json_error(400, "missing_cluster", _("Name a cluster: ?cluster=<slug>."))
    try:
        cluster = _selected_cluster(request)
    except Http404:
        return json_error(404, "unknown_cluster", _("No such cluster."))
    detail = cluster_detail(cluster)
    info = detail.info
    group_names = {row["name"]: row for row in detail.groups}
    node_groups = {node.name: row["name"] for row in group_names.values() for node in row["nodes"]}
    return JsonResponse({
        "cluster": {"slug": cluster.slug, "description": cluster.description, "hostname": cluster.hostname},
        "age_seconds": detail.age, "errors": errors_json(detail.errors),
        "info": None if info is None else {
            key: info.get(key) for key in ("name", "master", "software_version", "default_hypervisor",
                                           "enabled_hypervisors", "enabled_disk_templates", "ipolicy")},
        "instance_count": detail.instance_count,
        "node_groups": [{"name": row["name"], "alloc_policy": row["alloc_policy"], "locked": row["locked"],
                         "instances": row["instances"], "networks": row["networks"],
                         "nodes": [node.name for node in row["nodes"]]} for row in detail.groups],
        "nodes": [node_json(node, node_groups.get(node.name)) for node in detail.nodes],
        "networks": detail.networks,
    })


@require_POST
def cluster_refresh_view(request):
    require_infrastructure(request)
    cluster = enabled_cluster(request.POST.get("cluster"))
    if cluster is None:
        raise Http404(_("No such cluster."))
    cluster_refresh(cluster=cluster)
    messages.success(request, _("The data of %(cluster)s is read again from the cluster.") % {"cluster": cluster})
    return redirect(reverse("ganeti:cluster_detail") + "?" + QueryDict.fromkeys(["cluster"], cluster.slug).urlencode())


# -- nodes -----------------------------------------------------------------------------------------


def _node_params(request) -> dict:
    role = request.GET.get("role", "")
    return {"query": request.GET.get("q", "")[:200], "cluster_slug": request.GET.get("cluster", "")[:50],
            "role": role if role in NODE_ROLES else "", "page": request.GET.get("page", "1")[:9]}


def _query_string(**values) -> str:
    """The filters as a query string ending in "&" (for the page links), without empty values."""
    query = QueryDict(mutable=True)
    for key, value in values.items():
        if value:
            query[key] = value
    encoded = query.urlencode()
    return encoded + "&" if encoded else ""


def render_list_page(request, list_id: str, fragment: str, template: str, context: dict):
    """The nodes or jobs page, or only its list (`fragment`) for an htmx request that swaps #list_id."""
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == list_id:
        return render(request, fragment, context)
    return render(request, template, context)


def list_page_json(page, rows: list) -> JsonResponse:
    """The nodes or jobs JSON: {"rows", "counts", "total", "filtered", "page", "pages", "errors"}."""
    return JsonResponse({
        "rows": rows, "counts": page.counts, "total": page.total, "filtered": page.page.paginator.count,
        "page": page.page.number, "pages": page.page.paginator.num_pages, "errors": errors_json(page.errors),
    })


@require_GET
def nodes(request):
    require_infrastructure(request)
    params = _node_params(request)
    page = node_page(**params)
    labels = role_labels()
    rows = [{"node": node, "group": page.group_names.get((node.cluster.pk, node.group_uuid)),
             "role": labels.get(node.role, (node.role, "secondary")), "monitoring_url": monitoring_url(node.name)}
            for node in page.rows]
    context = {
        "page": page, "rows": rows, "params": params, "clusters": page.clusters,
        "roles": [(role, *labels[role], page.counts.get(role, 0)) for role in NODE_ROLES],
        "filter_query": _query_string(q=params["query"], cluster=params["cluster_slug"]),
        "page_query": _query_string(q=params["query"], cluster=params["cluster_slug"], role=params["role"]),
    }
    return render_list_page(request, "node-list", "ganeti/_node_list.html", "ganeti/nodes.html", context)


@require_GET
def nodes_json(request):
    """{"rows": [node], "counts": {role: n}, "total", "filtered", "page", "pages", "errors"}: the nodes
    page's rows (same parameters: q, cluster, role, page)."""
    if not permissions.can_view_infrastructure(request.user):
        return forbidden_json()
    page = node_page(**_node_params(request))
    return list_page_json(page, [node_json(node, page.group_names.get((node.cluster.pk, node.group_uuid)))
                                 for node in page.rows])


# -- the instance popup ----------------------------------------------------------------------------


@require_GET
def instance_popup_view(request):
    require_infrastructure(request)
    context = instance_popup(request.user, request.GET.get("cluster", "")[:50], request.GET.get("instance", "")[:255])
    template = "ganeti/_instance_popup.html" if request.headers.get("HX-Request") else "ganeti/instance_popup.html"
    return render(request, template, context)


# -- clear cache -----------------------------------------------------------------------------------


@require_POST
def clear_cache(request):
    if not permissions.can_clear_cache(request.user):
        raise PermissionDenied(_("Only administrators may clear the caches."))
    clear_caches()
    messages.success(request, _("Caches cleared"))
    target = request.POST.get("next", "")
    # Only a path of this site: anything else (another host, or a word redirect() would take for a view name)
    # goes home.
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = reverse("ganeti:home")
    return redirect(target)
