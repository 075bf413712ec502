"""Light read-only objects built from inventory snapshot rows: instances and nodes are not database
rows. Tags carry ownership and the other meanings of DESIGN.md §3."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .client import admin_state_word, instance_status

__all__ = ["INSTANCE_COLUMNS", "ClusterRef", "Instance", "LiveInstance", "Node", "TagMeanings", "instance_values_from_bulk",
           "parse_tags"]

# What the inventory keeps of each instance, as /2/query/instance fields in this order: what lists,
# searches and ownership need. A snapshot row is the list of their values (no key names repeated
# 10,000 times); a detail page reads the rest (hvparams, ...) live from the cluster.
INSTANCE_COLUMNS = (
    "name", "status", "admin_state", "oper_state", "os", "pnode", "snodes", "disk_template", "disk.sizes",
    "nic.macs", "nic.ips", "nic.modes", "nic.links", "nic.networks.names", "network_port", "be/maxmem", "be/vcpus",
    "tags", "ctime", "mtime",
)
_TAGS = INSTANCE_COLUMNS.index("tags")


def instance_values_from_bulk(row: dict) -> list:
    """A bulk (or single) GET row as the INSTANCE_COLUMNS values, for Ganetis that refuse the query."""
    beparams = row.get("beparams") or {}
    extra = {"be/maxmem": beparams.get("maxmem", beparams.get("memory")), "be/vcpus": beparams.get("vcpus"),
             "nic.networks.names": row.get("nic.networks.names", row.get("nic.networks"))}
    return [extra[column] if column in extra else row.get(column) for column in INSTANCE_COLUMNS]


@dataclass(frozen=True, slots=True)
class ClusterRef:
    """The cluster a row came from, without holding a model instance in long-lived caches."""

    pk: int
    slug: str
    label: str

    @classmethod
    def of(cls, cluster) -> ClusterRef:
        return cls(cluster.pk, cluster.slug, str(cluster))

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True, slots=True)
class TagMeanings:
    users: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    organization: str | None = None
    application_id: int | None = None
    services: frozenset[str] = frozenset()
    admin_locked: bool = False
    isolated: bool = False
    needs_reboot: bool = False
    whitelist_ip: str | None = None


@lru_cache(maxsize=4096)
def parse_tags(tags: tuple[str, ...], prefix: str) -> TagMeanings:
    """`<prefix>:user:<name>` and `<prefix>:group:<name>` (also the `users:`/`groups:` spelling of the
    old docs), `org:`, `application:<id>`, `service:<name>`, `adminlock`, `isolate`, `needsreboot`,
    `whitelist_ip:<cidr>`. Tags of other prefixes mean nothing here. Cached: most instances share
    their tag set with others, and then share one TagMeanings."""
    users, groups, services = set(), set(), set()
    meanings: dict[str, Any] = {}
    head = prefix + ":"
    for tag in tags:
        if not tag.startswith(head):
            continue
        key, _sep, value = tag[len(head):].partition(":")
        if key in ("user", "users") and value:
            users.add(value)
        elif key in ("group", "groups") and value:
            groups.add(value)
        elif key == "org" and value:
            meanings["organization"] = value
        elif key == "application" and value.isascii() and value.isdigit():  # "²".isdigit(), but int() refuses it
            meanings["application_id"] = int(value)
        elif key == "service" and value:
            services.add(value)
        elif key == "adminlock":
            meanings["admin_locked"] = True
        elif key == "isolate":
            meanings["isolated"] = True
        elif key == "needsreboot":
            meanings["needs_reboot"] = True
        elif key == "whitelist_ip" and value:
            meanings["whitelist_ip"] = value
    return TagMeanings(users=frozenset(users), groups=frozenset(groups), services=frozenset(services), **meanings)


def _column(name: str, convert=None) -> property:
    """An Instance attribute read from its row: building 10,000 instances then costs little more
    than parsing their rows, and a page reads a few attributes of the rows it shows."""
    index = INSTANCE_COLUMNS.index(name)
    if convert is None:
        return property(lambda self: self._values[index], doc=f"the {name} column")
    return property(lambda self: convert(self._values[index]), doc=f"the {name} column")


def _as_tuple(values) -> tuple:
    return tuple(values or ())


class Instance:
    """One Ganeti instance as the last snapshot saw it. Shared between requests: do not modify."""

    __slots__ = ("cluster", "_values", "meanings")

    def __init__(self, cluster: ClusterRef, values: list, tag_prefix: str):
        """`values` in INSTANCE_COLUMNS order."""
        self.cluster = cluster
        self._values = values
        self.meanings = parse_tags(tuple(values[_TAGS] or ()), tag_prefix)

    name = _column("name")
    status = _column("status", instance_status)
    admin_state = _column("admin_state", admin_state_word)
    oper_state = _column("oper_state")
    os = _column("os", lambda value: value or "")
    pnode = _column("pnode", lambda value: value or "")
    snodes = _column("snodes", _as_tuple)
    disk_template = _column("disk_template", lambda value: value or "")
    disk_sizes = _column("disk.sizes", _as_tuple)
    nic_macs = _column("nic.macs", _as_tuple)
    nic_ips = _column("nic.ips", _as_tuple)
    nic_modes = _column("nic.modes", _as_tuple)
    nic_links = _column("nic.links", _as_tuple)
    nic_networks = _column("nic.networks.names", _as_tuple)
    network_port = _column("network_port")
    memory = _column("be/maxmem")
    vcpus = _column("be/vcpus")
    tags = _column("tags", _as_tuple)
    ctime = _column("ctime")
    mtime = _column("mtime")

    def __repr__(self) -> str:
        return f"<Instance {self.cluster.slug}/{self.name} {self.status}>"

    @property
    def users(self) -> frozenset[str]:
        return self.meanings.users

    @property
    def groups(self) -> frozenset[str]:
        return self.meanings.groups

    @property
    def is_running(self) -> bool:
        return self.status == "running"

    @property
    def state(self) -> str:
        """running, stopped, mismatch (runs when it should not, or the reverse), node_down or unknown."""
        if self.status in ("running", "ADMIN_down", "ADMIN_offline", "USER_down"):
            return "running" if self.status == "running" else "stopped"
        if self.status in ("ERROR_up", "ERROR_down", "ERROR_wrongnode"):
            return "mismatch"
        if self.status in ("ERROR_nodedown", "ERROR_nodeoffline"):
            return "node_down"
        return "unknown"

    @property
    def disk_total(self) -> int:
        return sum(size for size in self.disk_sizes if size)

    def is_owned_by(self, username: str, group_names=frozenset()) -> bool:
        """Owned directly, or through one of the groups."""
        return username in self.meanings.users or not self.meanings.groups.isdisjoint(group_names)


class LiveInstance(Instance):
    """One instance read now from its cluster (GET /2/instances/<name>): the snapshot's columns plus
    the whole answer in `raw` (hvparams, beparams, nic.* lists, ...), for the detail page and changes."""

    __slots__ = ("raw",)

    def __init__(self, cluster: ClusterRef, row: dict, tag_prefix: str):
        super().__init__(cluster, instance_values_from_bulk(row), tag_prefix)
        self.raw = row

    @property
    def hvparams(self) -> dict:
        return self.raw.get("hvparams") or {}

    @property
    def beparams(self) -> dict:
        return self.raw.get("beparams") or {}

    @property
    def nics(self) -> list[dict]:
        """One dict per NIC: mac, ip, mode, link, network, model."""
        raw = self.raw
        macs = raw.get("nic.macs") or []
        columns = {"ip": "nic.ips", "mode": "nic.modes", "link": "nic.links", "network": "nic.networks.names"}
        nics = []
        for index, mac in enumerate(macs):
            nic = {"index": index, "mac": mac}
            for key, column in columns.items():
                values = raw.get(column) or ()
                nic[key] = values[index] if index < len(values) else None
            nics.append(nic)
        return nics


class Node:
    """One Ganeti node as the last snapshot saw it. Live fields are None when the node is down."""

    __slots__ = ("cluster", "name", "role", "offline", "drained", "master_candidate", "vm_capable", "group_uuid",
                 "primary_ip", "secondary_ip", "memory_total", "memory_free", "memory_node", "disk_total",
                 "disk_free", "cpu_total", "primary_instances", "secondary_instances", "tags")

    def __init__(self, cluster: ClusterRef, row: dict):
        self.cluster = cluster
        self.name = row["name"]
        self.role = row.get("role") or "regular"
        self.offline = bool(row.get("offline"))
        self.drained = bool(row.get("drained"))
        self.master_candidate = bool(row.get("master_candidate"))
        self.vm_capable = row.get("vm_capable", True)
        self.group_uuid = row.get("group.uuid")
        self.primary_ip = row.get("pip")
        self.secondary_ip = row.get("sip")
        self.memory_total = row.get("mtotal")
        self.memory_free = row.get("mfree")
        self.memory_node = row.get("mnode")
        self.disk_total = row.get("dtotal")
        self.disk_free = row.get("dfree")
        self.cpu_total = row.get("ctotal")
        self.primary_instances = tuple(row.get("pinst_list") or ())
        self.secondary_instances = tuple(row.get("sinst_list") or ())
        self.tags = tuple(row.get("tags") or ())

    def __repr__(self) -> str:
        return f"<Node {self.cluster.slug}/{self.name} {self.role}>"

    @property
    def memory_used_percent(self) -> int | None:
        return _used_percent(self.memory_total, self.memory_free)

    @property
    def disk_used_percent(self) -> int | None:
        return _used_percent(self.disk_total, self.disk_free)


def _used_percent(total: int | None, free: int | None) -> int | None:
    if not total or free is None:
        return None
    return round(100 * (total - free) / total)
