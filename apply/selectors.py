"""Reads of the apply app: applications, what the forms may offer, where an instance may go."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from ganeti.models import Cluster, Network
from ganeti.rapi import inventory
from ganeti.selectors import cluster_list

from . import permissions
from .models import HOSTNAME_HOLDING_STATUSES, OPEN_STATUSES, ApplicationStatus, InstanceApplication

__all__ = [
    "application_list", "applications_of", "application_for_user", "pending_count", "hostname_in_use",
    "networks_for_user", "creation_clusters", "cluster_info", "resource_limits", "placement_options",
    "Placement", "pk_or_none",
]

LIST_FILTERS = {
    "pending": [ApplicationStatus.PENDING],
    "open": list(OPEN_STATUSES),
    "completed": [ApplicationStatus.SUBMITTED, ApplicationStatus.SUCCESS, ApplicationStatus.REFUSED,
                  ApplicationStatus.DISCARDED],
    "all": None,
}


def pk_or_none(value) -> int | None:
    """A primary key from a query or form parameter: plain ASCII digits, else None (str.isdigit alone
    takes "²", which int() and the database refuse)."""
    value = str(value or "")
    return int(value) if value.isascii() and value.isdigit() else None


# -- applications -----------------------------------------------------------------------------------

def application_list(which: str = "open", *, search: str = "") -> QuerySet[InstanceApplication]:
    """Applications for the admins' list: `which` is a LIST_FILTERS key; search matches host name or applicant."""
    statuses = LIST_FILTERS.get(which, LIST_FILTERS["open"])
    queryset = InstanceApplication.objects.select_related("applicant", "cluster", "network", "reviewer")
    if statuses is not None:
        queryset = queryset.filter(status__in=statuses)
    if search:
        queryset = queryset.filter(Q(hostname__icontains=search) | Q(applicant__username__icontains=search))
    return queryset.order_by("-filed_at", "-pk")


def applications_of(user) -> QuerySet[InstanceApplication]:
    return InstanceApplication.objects.filter(applicant=user).select_related("cluster").order_by("-filed_at", "-pk")


def application_for_user(user, pk: int) -> InstanceApplication | None:
    """The application if this user may see it (its applicant or a reviewer), else None (a 404)."""
    application = InstanceApplication.objects.select_related(
        "applicant", "cluster", "network", "reviewer", "organization").filter(pk=pk).first()
    if application is None or not permissions.can_view_application(user, application):
        return None
    return application


def pending_count(user) -> int | None:
    """How many applications wait for review, for a user who may review them (None for others)."""
    if not permissions.can_list_applications(user):
        return None
    return InstanceApplication.objects.filter(status=ApplicationStatus.PENDING).count()


def hostname_in_use(hostname: str, *, exclude_pk: int | None = None) -> str | None:
    """Why `hostname` is taken ("instance" on a cluster, "application" still open), or None."""
    name = hostname.lower().rstrip(".")
    applications = InstanceApplication.objects.filter(hostname__iexact=name, status__in=HOSTNAME_HOLDING_STATUSES)
    if exclude_pk is not None:
        applications = applications.exclude(pk=exclude_pk)
    if applications.exists():
        return "application"
    if any(instance.name.lower() == name for instance in inventory.instances().items):
        return "instance"
    return None


def networks_for_user(user) -> QuerySet[Network]:
    """Networks the user's groups may choose in the application form, on enabled clusters."""
    return (Network.objects.filter(groups__in=user.groups.all(), cluster__disabled=False)
            .select_related("cluster").distinct().order_by("cluster__slug", "description"))


# -- clusters ---------------------------------------------------------------------------------------

def creation_clusters() -> QuerySet[Cluster]:
    """Clusters new instances may go to: enabled and not closed for creation."""
    return cluster_list().filter(disable_instance_creation=False)


def cluster_info(cluster: Cluster) -> dict | None:
    """The cluster's /2/info: the inventory's "info" snapshot (the one the cluster info page and clear
    cache use), or None when the cluster has never answered. A failure is logged and remembered there,
    so a dead cluster is not asked again by every form."""
    result = inventory.rows("info", [cluster])
    return result.items[0] if result.items else None


def _limits_from_ipolicy(info: dict) -> dict | None:
    """{"memory": (min, max) MiB, "vcpus": (min, max), "disk_size": (min, max) GiB} from an ipolicy."""
    minmax = ((info or {}).get("ipolicy") or {}).get("minmax") or []
    if not minmax:
        return None
    try:
        low = {k: min(spec["min"][k] for spec in minmax) for k in ("memory-size", "cpu-count", "disk-size")}
        high = {k: max(spec["max"][k] for spec in minmax) for k in ("memory-size", "cpu-count", "disk-size")}
    except (KeyError, TypeError, ValueError):
        return None
    return {"memory": (int(low["memory-size"]), int(high["memory-size"])),
            "vcpus": (int(low["cpu-count"]), int(high["cpu-count"])),
            # ipolicy disk sizes are MiB; applications ask whole GiB.
            "disk_size": (max(1, -(-int(low["disk-size"]) // 1024)), int(high["disk-size"]) // 1024)}


def resource_limits(clusters=None) -> dict[str, tuple[int, int]]:
    """Bounds for memory, vCPUs and disk: over the given clusters (default: those open for creation) the
    widest their instance policies allow; APPLICATION_DEFAULT_LIMITS where none answers."""
    clusters = list(creation_clusters() if clusters is None else clusters)
    # One read for every cluster: those whose snapshot is missing are asked in parallel.
    infos = inventory.rows("info", clusters).items
    found = [limits for limits in map(_limits_from_ipolicy, infos) if limits]
    if not found:
        return {k: tuple(v) for k, v in settings.APPLICATION_DEFAULT_LIMITS.items()}
    return {k: (min(f[k][0] for f in found), max(f[k][1] for f in found)) for k in ("memory", "vcpus", "disk_size")}


@dataclass
class Placement:
    """What the review form may offer for one cluster; `errors` says which part could not be read."""
    disk_templates: list[str] = field(default_factory=list)
    default_disk_template: str = ""
    node_groups: list[tuple[str, bool]] = field(default_factory=list)  # (name, allocable)
    # (value "net:<name>" or "link:<link>::<mode>", label, free addresses or None, usable)
    networks: list[tuple[str, str, int | None, bool]] = field(default_factory=list)
    default_network: str = ""
    volume_groups: list[str] = field(default_factory=list)
    limits: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def placement_options(cluster: Cluster) -> Placement:
    """Disk templates (enabled by the cluster and its ipolicy), node groups, networks (gnt-network ones
    with free addresses, then the admin's static ones) and volume groups of `cluster`. Each RAPI read
    that fails leaves its part empty and a message in `errors`."""
    placement = Placement()
    # Asked of the cluster in one round: one that does not answer costs one timeout, not three.
    info, groups, networks = inventory.gather(lambda: cluster_info(cluster), lambda: inventory.rows("groups", [cluster]),
                                              lambda: inventory.rows("networks", [cluster]))
    if info is None:
        placement.errors.append(_("The cluster's settings could not be read: disk templates are unknown."))
    else:
        enabled = list(info.get("enabled_disk_templates") or [])
        allowed = ((info.get("ipolicy") or {}).get("disk-templates")) or enabled
        placement.disk_templates = [t for t in enabled if t in allowed] or enabled
        placement.default_disk_template = placement.disk_templates[0] if placement.disk_templates else ""
        if info.get("vg_name") or info.get("volume_group_name"):
            placement.volume_groups.append(info.get("vg_name") or info.get("volume_group_name"))
        placement.limits = _limits_from_ipolicy(info) or {}

    if groups.errors:
        placement.errors.append(_("The cluster's node groups could not be read: %(error)s")
                                % {"error": groups.errors[0].message})
    vgs = list(placement.volume_groups)
    for group in groups.items:
        placement.node_groups.append((group["name"], group.get("alloc_policy") != "unallocable"))
        for tag in group.get("tags") or []:
            if tag.startswith("vg:") and tag[3:] not in vgs:
                vgs.append(tag[3:])
    placement.volume_groups = vgs

    if networks.errors:
        placement.errors.append(_("The cluster's networks could not be read: %(error)s")
                                % {"error": networks.errors[0].message})
    gnt = sorted(networks.items, key=lambda n: (-(n.get("free_count") or 0), n["name"]))
    for net in gnt:
        free = net.get("free_count")
        label = f"{net['name']} ({net.get('network') or ''})"
        placement.networks.append((f"net:{net['name']}", label, free, bool(free)))
    for static in cluster.networks.all():
        value = f"link:{static.link}::{static.mode}"
        placement.networks.append((value, str(static), None, True))
        if static.cluster_default:
            placement.default_network = value
    if not placement.default_network:
        placement.default_network = next((value for value, _l, _f, usable in placement.networks if usable), "")
    return placement
