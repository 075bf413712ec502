"""Reads of the statistics pages: everything comes from the inventory snapshots (instances) and the
database (applications, users, groups, organizations). A user's figures cover the instances they own
(directly or through a group) and their own applications; helpdesk and superusers see the platform.

Sizes are in MiB, as Ganeti gives them; times of chart points are milliseconds since the epoch (UTC
midnight of the day), what Chart.js takes."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.paginator import Paginator

from apply.models import InstanceApplication, Organization
from ganeti.permissions import user_group_names
from ganeti.rapi import inventory
from ganeti.rapi.inventory import ClusterError
from ganeti.selectors import cluster_list

from .permissions import can_view_platform_stats

__all__ = [
    "OWNER_SORTS", "StatsInstances", "application_history", "cluster_states", "instance_history", "owner_page",
    "owner_rows", "platform_counters", "stats_instances", "totals",
]

OWNER_SORTS = ("owner", "instances", "memory", "memory_per_vm", "vcpus", "vcpus_per_vm", "disk", "disk_per_vm")
OWNERS_PER_PAGE = 25
_DAY_MS = 86_400_000


@dataclass
class StatsInstances:
    """The instances a user's statistics cover, the clusters they come from and the clusters that failed."""

    items: list
    clusters: list
    errors: list[ClusterError] = field(default_factory=list)
    platform: bool = False


def stats_instances(user) -> StatsInstances:
    """Every instance for helpdesk and superusers; a user's own (user or group tag) otherwise."""
    platform = can_view_platform_stats(user)
    clusters = list(cluster_list())
    result = inventory.instances(clusters, user=None if platform else user)
    return StatsInstances(items=result.items, clusters=clusters, errors=result.errors, platform=platform)


def _per_vm(total: int, count: int) -> float:
    return round(total / count, 1) if count else 0


def totals(instances) -> dict:
    """VMs, vCPUs, memory and disk (MiB) of the instances, with per-VM averages."""
    count = len(instances)
    vcpus = sum(instance.vcpus or 0 for instance in instances)
    memory = sum(instance.memory or 0 for instance in instances)
    disk = sum(instance.disk_total for instance in instances)
    return {"instances": count, "vcpus": vcpus, "memory": memory, "disk": disk,
            "vcpus_per_vm": _per_vm(vcpus, count), "memory_per_vm": _per_vm(memory, count),
            "disk_per_vm": _per_vm(disk, count)}


def _day_ms(moment: datetime) -> int:
    """Milliseconds of the UTC midnight starting the moment's day."""
    return int(moment.astimezone(timezone.utc).timestamp() * 1000) // _DAY_MS * _DAY_MS


def _cumulative(days: Counter) -> list[dict]:
    points, running = [], 0
    for day in sorted(days):
        running += days[day]
        points.append({"time": day, "count": running})
    return points


def instance_history(instances, clusters) -> list[dict]:
    """Per cluster: how many of the instances existed at the end of each day one was created
    ({"slug", "name", "points": [{"time", "count"}]}), clusters without instances left out."""
    days: dict[str, Counter] = defaultdict(Counter)
    for instance in instances:
        try:
            created = datetime.fromtimestamp(float(instance.ctime), tz=timezone.utc)
        except (TypeError, ValueError, OverflowError):
            continue
        days[instance.cluster.slug][_day_ms(created)] += 1
    return [{"slug": cluster.slug, "name": str(cluster), "points": _cumulative(days[cluster.slug])}
            for cluster in clusters if days.get(cluster.slug)]


def application_history(user, *, platform: bool) -> dict:
    """Applications filed, cumulative per day ({"points": [{"time", "count"}], "total"}): the user's own,
    or everyone's with `platform`."""
    applications = InstanceApplication.objects.all() if platform else InstanceApplication.objects.filter(applicant=user)
    days = Counter(_day_ms(filed) for filed in applications.values_list("filed_at", flat=True))
    points = _cumulative(days)
    return {"points": points, "total": points[-1]["count"] if points else 0}


def cluster_states(instances, clusters) -> list[dict]:
    """Running and stopped instances per cluster ({"slug", "name", "running", "stopped"}); anything
    not running (stopped, down, unknown) counts as stopped."""
    running, stopped = Counter(), Counter()
    for instance in instances:
        (running if instance.is_running else stopped)[instance.cluster.slug] += 1
    return [{"slug": cluster.slug, "name": str(cluster), "running": running[cluster.slug],
             "stopped": stopped[cluster.slug]} for cluster in clusters]


def owner_rows(instances, *, only=None) -> list[dict]:
    """One row per owner (user or group tag) with the totals of the instances it owns; an instance with
    several owners counts for each. `only`: a set of ("user", name) / ("group", name) keys to keep."""
    owned: dict[tuple[str, str], list] = defaultdict(list)
    for instance in instances:
        for name in instance.users:
            owned[("user", name)].append(instance)
        for name in instance.groups:
            owned[("group", name)].append(instance)
    rows = []
    for (kind, name), items in owned.items():
        if only is not None and (kind, name) not in only:
            continue
        numbers = totals(items)
        rows.append({"owner": name, "kind": kind, **{key: numbers[key] for key in OWNER_SORTS[1:]}})
    return rows


def owner_page(user, instances, *, sort: str = "-instances", page=1):
    """The per-owner table, sorted and paginated on the server: every owner for helpdesk and superusers,
    the user and the user's groups for others. Returns (Paginator page, the sort applied)."""
    only = None
    if not can_view_platform_stats(user):
        only = {("user", user.username)} | {("group", name) for name in user_group_names(user)}
    rows = owner_rows(instances, only=only)
    key = sort.lstrip("-")
    if key not in OWNER_SORTS:
        sort, key = "-instances", "instances"
    # Ties (and the name column itself) in name order, users before groups.
    rows.sort(key=lambda row: (row["owner"].lower(), row["kind"] != "user"))
    if key != "owner" or sort.startswith("-"):
        rows.sort(key=lambda row: row[key], reverse=sort.startswith("-"))
    return Paginator(rows, OWNERS_PER_PAGE).get_page(page), sort


def platform_counters(instance_count: int) -> dict:
    """Enabled clusters, instances (as counted from the snapshots), applications, active users, groups,
    organizations."""
    return {
        "clusters": cluster_list().count(),
        "instances": instance_count,
        "applications": InstanceApplication.objects.count(),
        "users": get_user_model().objects.filter(is_active=True).count(),
        "groups": Group.objects.count(),
        "organizations": Organization.objects.count(),
    }
