"""Instance graphs: one instance's graph image, and the batch pages of every instance of a
cluster's nodes. ganeti/graphs.py checks the parameters and talks to the grapher."""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ganeti import graphs, permissions
from ganeti.rapi import inventory
from ganeti.selectors import cluster_list, enabled_cluster, instance_or_404


def _image(body: bytes, content_type: str, *, status: int = 200, nodata: bool = False) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type, status=status)
    # Private: graphs are the owners'. A real graph may be reused for a few minutes, NODATA never.
    response["Cache-Control"] = "private, no-store" if nodata else "private, max-age=300"
    if nodata:
        response["X-Graph"] = "nodata"
    return response


def _nodata(status: int = 200) -> HttpResponse:
    return _image(*graphs.nodata_image(), status=status, nodata=True)


def _visible(user, instance) -> bool:
    return permissions.can_view_instance(user, instance) or permissions.can_view_instance_graphs(user, instance)


@require_GET
def instance_graph(request, cluster, instance, graph_type):
    """The PNG of ?start=&end= (epoch seconds; default the last day) and, for net-ts, ?nic=<n>: 404 for
    an instance the user may not see, 403 when they see it but not its graphs, 400 (with the NODATA
    image) for bad parameters, the NODATA image for anything the grapher did not give."""
    cluster, instance = instance_or_404(request.user, cluster, instance, check=_visible)
    if not permissions.can_view_instance_graphs(request.user, instance):
        raise PermissionDenied
    try:
        if graph_type not in graphs.GRAPH_TYPES:
            raise graphs.GraphRequestError("unknown graph type")
        start, end = graphs.graph_range(request.GET.get("start"), request.GET.get("end"))
        nic = graphs.nic_index(request.GET.get("nic"), graph_type, len(instance.nic_macs))
    except graphs.GraphRequestError:
        return _nodata(status=400)
    if not settings.COLLECTD_URL:
        return _nodata()
    image = graphs.fetch_graph(graphs.graph_url(instance.name, graph_type, start, end, nic))
    return _image(*image) if image else _nodata()


def _require_all_graphs(user) -> None:
    if not (settings.COLLECTD_URL and permissions.can_view_all_graphs(user)):
        raise PermissionDenied


@require_GET
def graphs_all(request):
    """Pick a cluster (?cluster=<slug>), then some of its nodes: the batch graphs of their instances."""
    _require_all_graphs(request.user)
    clusters = list(cluster_list())
    chosen = next((c for c in clusters if c.slug == request.GET.get("cluster")), None)
    nodes, errors = [], []
    if chosen is not None:
        result = inventory.nodes([chosen])
        nodes, errors = sorted(node.name for node in result.items), result.errors
    return render(request, "ganeti/graphs_all.html",
                  {"clusters": clusters, "chosen": chosen, "nodes": nodes, "errors": errors})


def _requested_nodes(request) -> list[str]:
    """?nodes=a,b (the original's) or ?nodes=a&nodes=b (a form's checkboxes)."""
    names = []
    for value in request.GET.getlist("nodes"):
        names.extend(name.strip() for name in value[:4000].split(",") if name.strip())
    return names


@require_GET
def cluster_graphs(request, cluster):
    """Every instance of the chosen nodes (?nodes=a,b; all nodes when none), grouped by primary node,
    each with its CPU and network graphs (drawn when its row is opened)."""
    _require_all_graphs(request.user)
    target = enabled_cluster(cluster)
    if target is None:
        raise Http404("No such cluster.")
    wanted = set(_requested_nodes(request))
    result = inventory.instances([target])
    by_node: dict[str, list] = defaultdict(list)
    for instance in sorted(result.items, key=lambda i: i.name):
        if not wanted or instance.pnode in wanted:
            by_node[instance.pnode].append({"instance": instance, "nics": range(len(instance.nic_macs))})
    return render(request, "ganeti/cluster_graphs.html", {
        "cluster": target, "groups": sorted(by_node.items()), "errors": result.errors,
        "missing": sorted(wanted - set(by_node)),
    })
