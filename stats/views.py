"""The statistics page and its JSON (README.md, "Statistics", documents the shapes)."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ganeti.permissions import user_group_names
from ganeti.rapi import inventory
from ganeti.selectors import enabled_cluster
from ganetimgr.responses import json_error

from . import selectors
from .permissions import can_view_platform_stats


def _errors(errors) -> list[dict]:
    return [{"cluster": error.cluster.slug, "message": error.message} for error in errors]


def _owner_params(request) -> dict:
    return {"sort": request.GET.get("sort", "-instances")[:20], "page": request.GET.get("page", "1")[:9]}


def _chart_data(data: selectors.StatsInstances, applications: dict, states: list[dict]) -> dict:
    """What stats.js draws: the series and their labels (translated here: the script has no catalogue)."""
    return {
        "applications": {"label": _("Applications filed"), "points": applications["points"]},
        "instances": {"label": _("Instances"), "clusters": selectors.instance_history(data.items, data.clusters)},
        "states": {"clusters": [row["name"] for row in states], "running": [row["running"] for row in states],
                   "stopped": [row["stopped"] for row in states], "running_label": _("Running"),
                   "stopped_label": _("Stopped")},
    }


@require_GET
def index(request):
    """Everyone: their own totals, applications and instance creations; helpdesk and superusers: the
    platform's counters, every cluster, running/stopped per cluster and the per-owner table."""
    data = selectors.stats_instances(request.user)
    applications = selectors.application_history(request.user, platform=data.platform)
    states = selectors.cluster_states(data.items, data.clusters) if data.platform else []
    context = {
        "platform": data.platform, "errors": data.errors, "applications": applications,
        "history": selectors.instance_history(data.items, data.clusters), "states": states,
        "chart_data": _chart_data(data, applications, states),
    }
    if data.platform:
        owners, sort = selectors.owner_page(request.user, data.items, **_owner_params(request))
        context.update(counters=selectors.platform_counters(len(data.items)), owners=owners, owner_sort=sort,
                       owner_columns=selectors.OWNER_SORTS)
        if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "owner-table":
            return render(request, "stats/_owner_table.html", context)
        groups = user_group_names(request.user)
        own = [instance for instance in data.items if instance.is_owned_by(request.user.username, groups)]
    else:
        own = data.items
    context["totals"] = selectors.totals(own)
    return render(request, "stats/index.html", context)


@require_GET
def applications_json(request):
    """{"scope": "own"|"platform", "points": [{"time", "count"}], "total"}: applications filed, cumulative."""
    platform = can_view_platform_stats(request.user)
    history = selectors.application_history(request.user, platform=platform)
    return JsonResponse({"scope": "platform" if platform else "own", **history})


@require_GET
def instances_json(request):
    """{"scope", "clusters": [{"slug", "name", "points": [{"time", "count"}]}], "errors": [...]}."""
    data = selectors.stats_instances(request.user)
    return JsonResponse({"scope": "platform" if data.platform else "own",
                         "clusters": selectors.instance_history(data.items, data.clusters),
                         "errors": _errors(data.errors)})


@require_GET
def vms_cluster_json(request, cluster):
    """{"cluster", "name", "instances": {"up", "down"}, "errors"}: one cluster's running and other instances."""
    if not can_view_platform_stats(request.user):
        return json_error(403, "forbidden", _("Only helpdesk users see every cluster."))
    target = enabled_cluster(cluster)
    if target is None:
        return json_error(404, "not_found", _("No such cluster."))
    result = inventory.instances([target])
    if result.errors and not result.items:
        return json_error(503, "cluster_unavailable", result.errors[0].message)
    state = selectors.cluster_states(result.items, [target])[0]
    return JsonResponse({"cluster": target.slug, "name": str(target),
                         "instances": {"up": state["running"], "down": state["stopped"]},
                         "errors": _errors(result.errors)})


@require_GET
def owners_json(request):
    """{"rows": [{"owner", "kind", "instances", "memory", "memory_per_vm", "vcpus", "vcpus_per_vm", "disk",
    "disk_per_vm"}], "total", "page", "pages", "per_page", "sort", "errors"}: helpdesk and superusers get
    every owner, others their own row and their groups'. ?sort=<column> or -<column>, ?page=n."""
    data = selectors.stats_instances(request.user)
    page, sort = selectors.owner_page(request.user, data.items, **_owner_params(request))
    return JsonResponse({"rows": list(page.object_list), "total": page.paginator.count, "page": page.number,
                         "pages": page.paginator.num_pages, "per_page": page.paginator.per_page, "sort": sort,
                         "errors": _errors(data.errors)})
