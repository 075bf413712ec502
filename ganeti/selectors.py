"""Reads of the ganeti app."""

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import Http404

from apply.models import InstanceApplication

from . import permissions
from .models import Cluster
from .rapi import inventory
from .rapi.client import GanetiApiError
from .rapi.connection import client_for

__all__ = ["cluster_list", "instance_or_404", "instance_pending_job", "instance_pending_jobs", "instance_job_key",
           "instance_page", "InstancePage", "instance_labels", "locked_node_groups"]


def cluster_list(*, enabled_only: bool = True) -> QuerySet[Cluster]:
    """Clusters by slug; without the disabled ones unless asked."""
    clusters = Cluster.objects.all()
    return clusters.filter(disabled=False) if enabled_only else clusters


# -- instances -------------------------------------------------------------------------------

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


def _superseded(version: tuple, current: tuple) -> bool:
    """Whether a memo built from the snapshots `version` ((slug, version) pairs) covers the same clusters as
    `current` but other snapshots of them: it is of no more use, and it holds that snapshot's objects."""
    return version != current and {slug for slug, _ in version} == {slug for slug, _ in current}


def _memo(key: tuple, build):
    """`build()` remembered under key = (what, snapshot version, ...); what was remembered for other snapshots
    of the same clusters goes (else each refresh would keep its 10,000 objects alive in every worker)."""
    value = _derived.get(key)
    if value is None:
        what, version = key[:2]
        for old in [old for old in _derived if old[0] == what and _superseded(old[1], version)]:
            del _derived[old]
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
    # The node groups of the listed clusters, read with the instances (InventoryResult), for the rows' labels.
    groups: object = None


# One user's instances out of a sorted view, per snapshot version, sort and user: an owner's page then
# does not test 10,000 instances' tags per request. Kept apart from _derived, least recently used first
# out, so that many users do not push the sorted lists out.
_owned: OrderedDict[tuple, list] = OrderedDict()
_OWNED_MAX = 256


def _owned_memo(key: tuple, build) -> list:
    """`build()` remembered under key = (snapshot version, ...); as _memo, other snapshots' lists go."""
    value = _owned.get(key)
    if value is None:
        for old in [old for old in _owned if _superseded(old[0], key[0])]:
            del _owned[old]
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
    # A page's rows also need their clusters' node groups (the maintenance label): when the snapshots are
    # cold, both are asked of the clusters in one round instead of two.
    result, node_groups = inventory.gather(lambda: inventory.instances(clusters),
                                           lambda: inventory.rows("groups", clusters))
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
                        clusters=enabled, groups=node_groups)


def locked_node_groups(clusters, groups=None) -> frozenset[tuple[str, str]]:
    """(cluster slug, node name) of the nodes whose group is tagged `locked` (maintenance); `groups`: the
    node groups already read for these clusters or more (an InventoryResult), else they are read here."""
    if groups is None:
        groups = inventory.rows("groups", clusters)
    slugs = {cluster.slug for cluster in clusters}
    locked = {(row["cluster"].slug, row.get("uuid")) for row in groups.items
              if row["cluster"].slug in slugs and "locked" in (row.get("tags") or ())}
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


# -- instance changes ------------------------------------------------------------------------

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


# -- clusters, nodes, jobs -------------------------------------------------------------------

__all__ += ["ClusterDetail", "cluster_detail", "NodePage", "node_page", "JobPage", "job_page", "job_detail",
            "instance_popup", "NODE_ROLES", "JOB_FILTERS", "ganeti_time", "enabled_cluster"]

# The node roles in the order the filter buttons show them (RAPI's words: ganeti.rapi.client.NODE_ROLES).
NODE_ROLES = ("master", "master-candidate", "regular", "drained", "offline")
NODES_PER_PAGE = 50
# The jobs page's filters; each takes the statuses listed (a transient "canceling" counts as canceled).
JOB_FILTERS = {
    "running": ("running",), "success": ("success",), "error": ("error",), "waiting": ("waiting",),
    "queued": ("queued",), "canceled": ("canceled", "canceling"),
}
JOBS_PER_PAGE = 50


def enabled_cluster(slug) -> Cluster | None:
    """The enabled cluster of a slug from a URL or a form; None for an unknown one and for anything that
    is not a slug (a NUL the database refuses included)."""
    if not isinstance(slug, str) or not _URL_NAME.match(slug):
        return None
    return cluster_list(enabled_only=True).filter(slug=slug).first()


def ganeti_time(value):
    """Ganeti's [seconds, microseconds] (or plain seconds) as an aware datetime; None when unset."""
    if isinstance(value, (list, tuple)) and value:
        seconds = value[0] + (value[1] if len(value) > 1 and value[1] else 0) / 1e6
    else:
        seconds = value
    try:
        return datetime.fromtimestamp(float(seconds), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _group_networks(entry) -> tuple[str, str, str] | None:
    """One group_list entry of a network as (group, mode, link): Ganeti 3.0 gives [group, mode, link,
    vlan], older ones the string "group(mode, link)"."""
    if isinstance(entry, (list, tuple)) and len(entry) >= 3:
        return str(entry[0]), str(entry[1]), str(entry[2])
    if isinstance(entry, str):
        match = re.fullmatch(r"\s*(.+?)\((\w+),\s*([^)]*)\)\s*", entry)
        if match:
            return match.group(1), match.group(2), match.group(3)
    return None


@dataclass
class ClusterDetail:
    """What the cluster info page shows of one cluster: /2/info, its groups with their nodes and
    networks, its networks with their free addresses, node usage and instance count. `info` is None
    when the cluster never answered; `errors` are the ClusterErrors of whatever did not answer."""

    cluster: Cluster
    info: dict | None
    groups: list
    networks: list
    nodes: list
    instance_count: int | None
    errors: list
    age: float | None

    @property
    def ipolicy(self) -> list[dict]:
        """Rows of the instance policy: [{"key", "min", "std", "max"}] per spec (first min/max pair)."""
        policy = (self.info or {}).get("ipolicy") or {}
        minmax = (policy.get("minmax") or [{}])[0]
        std = policy.get("std") or {}
        keys = ("disk-size", "cpu-count", "memory-size", "nic-count", "disk-count")
        return [{"key": key, "min": (minmax.get("min") or {}).get(key), "std": std.get(key),
                 "max": (minmax.get("max") or {}).get(key)} for key in keys]


def cluster_detail(cluster) -> ClusterDetail:
    """The cluster info page's data, all from cached snapshots (kinds info, groups, networks, nodes,
    instances), each fetched when missing."""
    info = inventory.rows("info", [cluster])
    groups = inventory.rows("groups", [cluster])
    networks = inventory.rows("networks", [cluster])
    nodes = inventory.nodes([cluster])
    instances = inventory.instances([cluster])
    errors = []
    for result in (info, groups, networks, nodes, instances):
        for error in result.errors:
            if all(error.message != seen.message for seen in errors):
                errors.append(error)
    by_group: dict[str, list] = {}
    for node in sorted(nodes.items, key=lambda n: n.name):
        by_group.setdefault(node.group_uuid, []).append(node)
    group_networks: dict[str, list] = {}
    network_rows = []
    for row in sorted(networks.items, key=lambda r: r.get("name") or ""):
        links = [link for link in map(_group_networks, row.get("group_list") or ()) if link]
        for group, mode, link in links:
            group_networks.setdefault(group, []).append({"name": row.get("name"), "mode": mode, "link": link})
        free, reserved = row.get("free_count"), row.get("reserved_count")
        size = (free or 0) + (reserved or 0)
        network_rows.append({
            "name": row.get("name"), "network": row.get("network"), "gateway": row.get("gateway"),
            "network6": row.get("network6"), "free": free, "reserved": reserved, "size": size,
            "used_percent": round(100 * (reserved or 0) / size) if size else None,
            "groups": [group for group, _mode, _link in links], "instances": len(row.get("inst_list") or ()),
        })
    group_rows = []
    for row in sorted(groups.items, key=lambda r: r.get("name") or ""):
        members = by_group.get(row.get("uuid"), [])
        group_rows.append({
            "name": row.get("name"), "alloc_policy": row.get("alloc_policy"), "tags": list(row.get("tags") or ()),
            "locked": "locked" in (row.get("tags") or ()), "nodes": members,
            "networks": group_networks.get(row.get("name"), []),
            "instances": sum(len(node.primary_instances) for node in members),
        })
    ages = [result.ages[cluster.slug] for result in (info, groups, networks, nodes, instances)
            if cluster.slug in result.ages]
    return ClusterDetail(
        cluster=cluster, info=info.items[0] if info.items else None, groups=group_rows, networks=network_rows,
        nodes=sorted(nodes.items, key=lambda n: n.name),
        instance_count=len(instances.items) if cluster.slug in instances.ages else None,
        errors=errors, age=max(ages) if ages else None,
    )


@dataclass
class ListPage:
    """One page of nodes or jobs: its rows, the total before filters, the Paginator page, the counters of
    the filter buttons, the clusters that did not answer, and every enabled cluster (for the filter)."""

    rows: list
    total: int
    page: Page
    counts: dict
    errors: list
    clusters: list


@dataclass
class NodePage(ListPage):
    # (cluster pk, group uuid) -> group name
    group_names: dict = field(default_factory=dict)


def _node_search_text(node) -> str:
    return "\x00".join((node.name, node.cluster.slug, node.cluster.label, node.primary_ip or "",
                        node.secondary_ip or "")).lower()


def node_page(*, query: str = "", cluster_slug: str = "", role: str = "", page=1,
              per_page: int = NODES_PER_PAGE) -> NodePage:
    """One page of the nodes of every enabled cluster (or one), by cluster and name, searched by name
    or address, filtered by role; `counts` are per role before the role filter."""
    enabled = list(cluster_list(enabled_only=True))
    clusters = [cluster for cluster in enabled if cluster.slug == cluster_slug] if cluster_slug else enabled
    result = inventory.nodes(clusters)
    groups = inventory.rows("groups", clusters)
    version = tuple(sorted(result.versions.items()))
    ordered = _memo(("nodes-sorted", version),
                    lambda: sorted(result.items, key=lambda n: (n.cluster.slug, n.name)))
    query = query.strip().lower()
    if query:
        ordered = [node for node in ordered if query in _node_search_text(node)]
    counts = dict.fromkeys(NODE_ROLES, 0)
    for node in ordered:
        counts[node.role] = counts.get(node.role, 0) + 1
    total = len(result.items)
    if role in NODE_ROLES:
        ordered = [node for node in ordered if node.role == role]
    page = Paginator(ordered, per_page).get_page(page)
    return NodePage(rows=list(page), total=total, page=page, counts=counts, errors=result.errors + [
                        error for error in groups.errors
                        if error.cluster.slug not in {seen.cluster.slug for seen in result.errors}],
                    clusters=enabled,
                    group_names={(row["cluster"].pk, row.get("uuid")): row.get("name") for row in groups.items})


@dataclass
class JobPage(ListPage):
    """One page of jobs; `counts` per JOB_FILTERS key."""
    # Per cluster slug, the snapshot the jobs come from (InventoryResult.versions): a job row rendered
    # from one is remembered under it (ganeti.views.jobs).
    versions: dict = field(default_factory=dict)


def _job_sort_key(job) -> tuple:
    received = job.get("received_ts")
    seconds = received[0] + (received[1] or 0) / 1e6 if isinstance(received, list) and received else 0
    return seconds, job.get("id") or 0


def job_page(*, status: str = "", cluster_slug: str = "", page=1, per_page: int = JOBS_PER_PAGE) -> JobPage:
    """One page of the job queues of every enabled cluster (or one), newest first (by the time Ganeti
    received them), filtered by status (a JOB_FILTERS key); `counts` are per filter before it."""
    enabled = list(cluster_list(enabled_only=True))
    clusters = [cluster for cluster in enabled if cluster.slug == cluster_slug] if cluster_slug else enabled
    result = inventory.rows("jobs", clusters)
    version = tuple(sorted(result.versions.items()))
    ordered = _memo(("jobs-sorted", version), lambda: sorted(result.items, key=_job_sort_key, reverse=True))

    def by_status():
        groups: dict[str, list] = {key: [] for key in JOB_FILTERS}
        for job in ordered:
            for key, statuses in JOB_FILTERS.items():
                if job.get("status") in statuses:
                    groups[key].append(job)
        return groups

    grouped = _memo(("jobs-by-status", version), by_status)
    counts = {key: len(jobs) for key, jobs in grouped.items()}
    page = Paginator(grouped[status] if status in JOB_FILTERS else ordered, per_page).get_page(page)
    return JobPage(rows=list(page), total=len(ordered), page=page, counts=counts, errors=result.errors,
                   clusters=enabled, versions=result.versions)


def job_detail(cluster_slug: str, job_id) -> tuple[Cluster, dict]:
    """(cluster, job) read now from the cluster (a job changes until it ends); Http404 for an unknown
    or disabled cluster, a job id that is not a number, or a job Ganeti does not know (any more).
    GanetiApiError when the cluster does not answer."""
    try:
        job_id = int(job_id)
    except (TypeError, ValueError):
        raise Http404("No such job.") from None
    cluster = enabled_cluster(cluster_slug) if job_id >= 0 else None
    if cluster is None:
        raise Http404("No such job.")
    try:
        job = client_for(cluster).get_job(job_id)
    except GanetiApiError as exc:
        if exc.code == 404:  # before Ganeti 3.0 an unknown job is a 404
            raise Http404("No such job.") from None
        raise
    if job.get("ops") is None and job.get("received_ts") is None:  # 3.0: an unknown job has every field null
        raise Http404("No such job.")
    return cluster, job


def instance_popup(user, cluster_slug: str, name: str) -> dict:
    """What the helpdesk popup shows of an instance: the instance (snapshot), its owners as users
    (with e-mail and name) and groups, the application it came from and its organization, the action
    lock. Http404 like instance_or_404."""
    cluster, instance = instance_or_404(user, cluster_slug, name)
    meanings = instance.meanings
    users = list(get_user_model().objects.filter(username__in=meanings.users).order_by("username"))
    known = {found.username for found in users}
    application = None
    if meanings.application_id is not None:
        application = (InstanceApplication.objects.select_related("organization", "applicant")
                       .filter(pk=meanings.application_id).first())
    organization = application.organization if application and application.organization else None
    return {
        "cluster": cluster, "instance": instance, "users": users,
        "unknown_users": sorted(meanings.users - known), "groups": sorted(meanings.groups),
        "application": application, "organization": organization,
        "organization_tag": meanings.organization, "services": sorted(meanings.services),
        "pending_job": instance_pending_job(cluster, name),
    }
# -- end clusters, nodes, jobs
