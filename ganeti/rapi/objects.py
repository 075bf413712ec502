"""Light read-only objects built from inventory snapshot rows: instances and nodes are not database
rows. Tags carry ownership and the other meanings of DESIGN.md §3."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ClusterRef", "Instance", "Node", "TagMeanings", "parse_tags"]

# Fields kept from a bulk instance row: what lists and detail pages use, not the 60-odd others.
INSTANCE_FIELDS = (
    "name", "status", "admin_state", "oper_state", "oper_ram", "oper_vcpus", "os", "pnode", "snodes",
    "disk_template", "disk.sizes", "disk_usage", "nic.macs", "nic.ips", "nic.modes", "nic.links", "nic.networks",
    "nic.networks.names", "network_port", "tags", "ctime", "mtime", "serial_no", "uuid",
)
INSTANCE_BEPARAMS = ("vcpus", "maxmem", "minmem", "memory", "auto_balance", "always_failover")
# Owner-editable and console-related hypervisor parameters (KVM names; other hypervisors have none).
INSTANCE_HVPARAMS = ("boot_order", "cdrom_image_path", "nic_type", "disk_type", "use_localtime",
                     "vnc_bind_address", "serial_console", "kernel_path", "spice_bind")


# The same, as /2/query/instance fields: a fraction of the bytes of a bulk GET, and no key names
# repeated in every row.
INSTANCE_QUERY_FIELDS = (
    INSTANCE_FIELDS + tuple(f"be/{name}" for name in INSTANCE_BEPARAMS) + tuple(f"hv/{name}" for name in INSTANCE_HVPARAMS)
)


def instance_row_from_query(values: dict) -> dict:
    """A /2/query/instance row in the shape trim_instance_row() gives."""
    row = {field: values.get(field) for field in INSTANCE_FIELDS}
    row["beparams"] = {name: values[f"be/{name}"] for name in INSTANCE_BEPARAMS if values.get(f"be/{name}") is not None}
    row["hvparams"] = {name: values[f"hv/{name}"] for name in INSTANCE_HVPARAMS if values.get(f"hv/{name}") is not None}
    return row


def trim_instance_row(row: dict) -> dict:
    """What the inventory stores of an instance: a fraction of RAPI's bulk row."""
    trimmed = {field: row[field] for field in INSTANCE_FIELDS if field in row}
    trimmed["beparams"] = {key: value for key, value in (row.get("beparams") or {}).items() if key in INSTANCE_BEPARAMS}
    trimmed["hvparams"] = {key: value for key, value in (row.get("hvparams") or {}).items() if key in INSTANCE_HVPARAMS}
    return trimmed


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


def parse_tags(tags: list[str], prefix: str) -> TagMeanings:
    """`<prefix>:user:<name>` and `<prefix>:group:<name>` (also the `users:`/`groups:` spelling of the
    old docs), `org:`, `application:<id>`, `service:<name>`, `adminlock`, `isolate`, `needsreboot`,
    `whitelist_ip:<cidr>`. Tags of other prefixes mean nothing here."""
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
        elif key == "application" and value.isdigit():
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


class Instance:
    """One Ganeti instance as the last snapshot saw it. Shared between requests: do not modify."""

    __slots__ = ("cluster", "name", "status", "admin_state", "oper_state", "os", "pnode", "snodes",
                 "disk_template", "disk_sizes", "nic_macs", "nic_ips", "nic_modes", "nic_links", "nic_networks",
                 "network_port", "memory", "vcpus", "hvparams", "tags", "ctime", "mtime", "meanings")

    def __init__(self, cluster: ClusterRef, row: dict, tag_prefix: str):
        self.cluster = cluster
        self.name = row["name"]
        self.status = row.get("status") or "unknown"
        self.admin_state = row.get("admin_state")
        self.oper_state = row.get("oper_state")
        self.os = row.get("os") or ""
        self.pnode = row.get("pnode") or ""
        self.snodes = tuple(row.get("snodes") or ())
        self.disk_template = row.get("disk_template") or ""
        self.disk_sizes = tuple(row.get("disk.sizes") or ())
        self.nic_macs = tuple(row.get("nic.macs") or ())
        self.nic_ips = tuple(row.get("nic.ips") or ())
        self.nic_modes = tuple(row.get("nic.modes") or ())
        self.nic_links = tuple(row.get("nic.links") or ())
        self.nic_networks = tuple(row.get("nic.networks.names") or row.get("nic.networks") or ())
        self.network_port = row.get("network_port")
        beparams = row.get("beparams") or {}
        self.memory = beparams.get("maxmem") or beparams.get("memory")
        self.vcpus = beparams.get("vcpus")
        self.hvparams = row.get("hvparams") or {}
        self.tags = tuple(row.get("tags") or ())
        self.ctime = row.get("ctime")
        self.mtime = row.get("mtime")
        self.meanings = parse_tags(self.tags, tag_prefix)

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
