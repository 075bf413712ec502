"""Reads of the ganeti app."""

import re
from collections import OrderedDict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.http import Http404

from . import permissions
from .models import Cluster
from .rapi import inventory
from .rapi.connection import client_for

__all__ = ["cluster_list", "instance_or_404", "instance_pending_job", "instance_pending_jobs", "instance_job_key",
           "instance_page", "InstancePage", "instance_labels", "locked_node_groups"]


def cluster_list(*, enabled_only: bool = True) -> QuerySet[Cluster]:
    """Clusters by slug; without the disabled ones unless asked."""
    clusters = Cluster.objects.all()
    return clusters.filter(disabled=False) if enabled_only else clusters


# -- instances (H4a) -------------------------------------------------------------------------------

INSTANCE_JOB_KEY = "instance-job:{pk}:{name}"
# An action lock left behind (a lost watcher message) ends by itself after this long.
INSTANCE_JOB_LOCK_SECONDS = 3600


# What a cluster slug or a Ganeti instance name (a host name) can be; anything else is no instance.
_URL_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,254}\Z")


def instance_job_key(cluster, name: str) -> str:
    return INSTANCE_JOB_KEY.format(pk=cluster.pk, name=name)


def instance_or_404(user, cluster_slug: str, name: str, *, check=None, live: bool = False):
    """(cluster, instance) for a user, or Http404: unknown or disabled cluster, missing instance, or an
    instance `check(user, instance)` refuses (default permissions.can_view_instance) all answer the
    same 404. `live=True` reads the instance from RAPI now (before every change); a cluster failure
    then raises GanetiApiError, for the caller to report."""
    check = permissions.can_view_instance if check is None else check
    if not (_URL_NAME.match(cluster_slug) and _URL_NAME.match(name)):
        # Not a slug or a host name (a NUL the database refuses, "?" or ".." that would bend the RAPI path).
        raise Http404("No such instance.")
    cluster = cluster_list(enabled_only=True).filter(slug=cluster_slug).first()
    if cluster is None:
        raise Http404("No such instance.")
    instance = inventory.live_instance(cluster, name) if live else inventory.find_instance(cluster, name)
    if instance is None or not check(user, instance):
        raise Http404("No such instance.")
    return cluster, instance


def instance_pending_job(cluster, name: str) -> dict | None:
    """The instance's action lock: {"job_id", "action", "since", "user"}, or None when no job of ours runs."""
    return cache.get(instance_job_key(cluster, name))


def instance_pending_jobs(keys) -> dict[tuple[int, str], dict]:
    """The action locks of several instances at once, by (cluster pk, name): one cache round trip."""
    keys = list(keys)
    if not keys:
        return {}
    found = cache.get_many([INSTANCE_JOB_KEY.format(pk=pk, name=name) for pk, name in keys])
    return {(pk, name): found[INSTANCE_JOB_KEY.format(pk=pk, name=name)] for pk, name in keys
            if INSTANCE_JOB_KEY.format(pk=pk, name=name) in found}


# The instance list: filtering, sorting and paging 10,000 instances per request is done on data derived
# once per snapshot version (per process), so a warm page costs what its 25 rows cost.

INSTANCE_SORTS = {
    "name": lambda i: i.name,
    "cluster": lambda i: (i.cluster.slug, i.name),
    "status": lambda i: (i.state, i.name),
    "node": lambda i: (i.pnode, i.name),
    "memory": lambda i: (i.memory or 0, i.name),
    "vcpus": lambda i: (i.vcpus or 0, i.name),
    "disk": lambda i: (i.disk_total, i.name),
}
INSTANCES_PER_PAGE = 25
_derived: dict[tuple, object] = {}
_DERIVED_MAX = 64


def _memo(key: tuple, build):
    value = _derived.get(key)
    if value is None:
        if len(_derived) >= _DERIVED_MAX:
            _derived.clear()
        value = _derived[key] = build()
    return value


def _search_text(instance) -> str:
    meanings = instance.meanings
    parts = [instance.name, instance.cluster.slug, instance.cluster.label, instance.pnode, *instance.snodes,
             *meanings.users, *meanings.groups, *(ip for ip in instance.nic_ips if ip), *instance.tags]
    return "\x00".join(parts).lower()


@dataclass
class InstancePage:
    rows: list
    total: int
    filtered: int
    page: int
    pages: int
    per_page: int
    sort: str
    descending: bool
    errors: list
    failed: frozenset
    # Per cluster slug, the snapshot the rows come from (InventoryResult.versions): what a row's
    # rendering can be remembered under.
    versions: dict = field(default_factory=dict)
    # Every enabled cluster (read once per request; the cluster filter and the rows' needs use it).
    clusters: list | None = None


# One user's instances out of a sorted view, per snapshot version, sort and user: an owner's page then
# does not test 10,000 instances' tags per request. Kept apart from _derived, least recently used first
# out, so that many users do not push the sorted lists out.
_owned: OrderedDict[tuple, list] = OrderedDict()
_OWNED_MAX = 256


def _owned_memo(key: tuple, build) -> list:
    value = _owned.get(key)
    if value is None:
        value = _owned[key] = build()
        while len(_owned) > _OWNED_MAX:
            _owned.popitem(last=False)
    else:
        _owned.move_to_end(key)
    return value


def instance_page(user, *, query: str = "", cluster_slug: str = "", sort: str = "name", page=1,
                  per_page: int = INSTANCES_PER_PAGE) -> InstancePage:
    """One page of the instances `user` may see (all for helpdesk and superusers, else their own),
    searched by name, owner, cluster, node, IP or tag, filtered by cluster, sorted by `sort` ("-" first
    for descending), with the errors of the clusters that did not answer."""
    enabled = list(cluster_list(enabled_only=True))
    clusters = [cluster for cluster in enabled if cluster.slug == cluster_slug] if cluster_slug else enabled
    result = inventory.instances(clusters)
    version = tuple(sorted(result.versions.items()))
    descending = sort.startswith("-")
    sort_key = sort.lstrip("-")
    if sort_key not in INSTANCE_SORTS:
        sort_key, descending = "name", False
    ordered = _memo(("sorted", version, sort_key, descending),
                    lambda: sorted(result.items, key=INSTANCE_SORTS[sort_key], reverse=descending))
    if not permissions.can_view_all_instances(user):
        groups = permissions.user_group_names(user)
        username = user.username
        everything = ordered
        ordered = _owned_memo((version, sort_key, descending, username, groups),
                              lambda: [instance for instance in everything if instance.is_owned_by(username, groups)])
    total = len(ordered)
    query = query.strip().lower()
    if query:
        texts = _memo(("search", version), lambda: {id(i): _search_text(i) for i in result.items})
        # The remembered sorted list and texts may come from two builds of one snapshot's objects (two
        # greenlets of a worker reading a new snapshot at once): an instance without a text gets one here.
        ordered = [instance for instance in ordered
                   if query in (texts.get(id(instance)) or _search_text(instance))]
    filtered = len(ordered)
    pages = max(1, -(-filtered // per_page))
    try:
        page = min(max(1, int(page)), pages)
    except (TypeError, ValueError):
        page = 1
    start = (page - 1) * per_page
    return InstancePage(rows=ordered[start:start + per_page], total=total, filtered=filtered, page=page,
                        pages=pages, per_page=per_page, sort=("-" if descending else "") + sort_key,
                        descending=descending, errors=result.errors,
                        failed=frozenset(error.cluster.slug for error in result.errors), versions=result.versions,
                        clusters=enabled)


def locked_node_groups(clusters) -> frozenset[tuple[str, str]]:
    """(cluster slug, node name) of the nodes whose group is tagged `locked` (maintenance)."""
    groups = inventory.rows("groups", clusters)
    locked = {(row["cluster"].slug, row.get("uuid")) for row in groups.items if "locked" in (row.get("tags") or ())}
    if not locked:
        return frozenset()
    nodes = inventory.nodes(clusters)
    return frozenset((node.cluster.slug, node.name) for node in nodes.items
                     if (node.cluster.slug, node.group_uuid) in locked)


def instance_labels(instance, *, pending: dict | None, locked_nodes=frozenset(), unreachable=False) -> list[str]:
    """The status labels of one instance, as keys of INSTANCE_LABELS (ganeti/views/instances.py)."""
    labels = [instance.state if instance.state in ("running", "stopped", "mismatch") else "unknown"]
    if instance.state == "node_down":
        labels.append("node_down")
    meanings = instance.meanings
    if meanings.admin_locked:
        labels.append("admin_lock")
    if meanings.isolated:
        labels.append("isolated")
    if pending:
        labels.append("job_pending")
    if meanings.needs_reboot:
        labels.append("needs_reboot")
    if (instance.cluster.slug, instance.pnode) in locked_nodes:
        labels.append("maintenance")
    if unreachable:
        labels.append("unreachable")
    return labels


# -- instance changes (H4b) ------------------------------------------------------------------------

__all__ += ["cluster_os_variants", "owner_lookup"]

# /2/os makes Ganeti ask every node: costly, and it changes only when an admin installs an OS.
OS_VARIANTS_CACHE_SECONDS = 600


def cluster_os_variants(cluster) -> list[str]:
    """The cluster's OS names with their variants (GET /2/os), cached; GanetiApiError when the
    cluster does not answer and nothing is cached."""
    key = f"cluster-os:{cluster.pk}"
    variants = cache.get(key)
    if variants is None:
        variants = sorted(client_for(cluster).get_os())
        cache.set(key, variants, OS_VARIANTS_CACHE_SECONDS)
    return variants


def owner_lookup(user, query: str, *, limit: int = 20) -> list[dict]:
    """Active users and groups whose name (or a user's full name or e-mail) contains `query`, for the
    owners editor: [{"id": "u:<name>"|"g:<name>", "type", "name", "label", "email"?}]. E-mail
    addresses only for helpdesk and superusers; nothing for fewer than 2 characters."""
    query = (query or "").strip()
    if len(query) < 2:
        return []
    show_email = permissions.can_view_all_instances(user)
    match = Q(username__icontains=query) | Q(first_name__icontains=query) | Q(last_name__icontains=query)
    if show_email:
        match |= Q(email__icontains=query)
    users = get_user_model().objects.filter(match, is_active=True).order_by("username")[:limit]
    results = []
    for found in users:
        full_name = found.get_full_name()
        entry = {"id": f"u:{found.username}", "type": "user", "name": found.username,
                 "label": f"{found.username} ({full_name})" if full_name else found.username}
        if show_email:
            entry["email"] = found.email
        results.append(entry)
    for group in Group.objects.filter(name__icontains=query).order_by("name")[:limit]:
        results.append({"id": f"g:{group.name}", "type": "group", "name": group.name, "label": group.name})
    return results
