"""The simulated cluster: configuration objects, their RAPI views, generation and persistence.

Objects are plain dicts (so that a state file is plain JSON); the views computed from them carry the
field names, types and nesting of real Ganeti 3.0.2 answers (see /2/info, /2/nodes?bulk=1,
/2/instances?bulk=1 in the real testbed's samples). Everything is guarded by one lock, shared with the
job queue; `version` counts changes so that serialized bulk answers can be cached.
"""

import copy
import ipaddress
import json
import random
import threading
import time
import uuid
from pathlib import Path

SOFTWARE_VERSION = "3.0.2"
HYPERVISOR = "kvm"
DISK_TEMPLATES = ["drbd", "plain", "file", "sharedfile", "diskless"]
# Templates whose instances can move to another node: drbd to its secondary, the others anywhere.
MIGRATABLE_TEMPLATES = {"drbd", "sharedfile", "diskless"}
DRBD_META_MIB = 128
OS_NAMES = ["debootstrap+default", "debootstrap+minimal", "noop"]
PORT_POOL_START = 11000  # Ganeti's default TCP/UDP port pool starts here
NODE_MTOTAL_MIB = 65536
NODE_MNODE_MIB = 1024
NODE_DTOTAL_MIB = 2 * 1024 * 1024
CANDIDATE_POOL_SIZE = 10
NODE_ROLE_WORDS = {"M": "master", "C": "master-candidate", "R": "regular", "D": "drained", "O": "offline"}
NIC_LINK = "br0"
MAC_PREFIX = "aa:00:00"

_INFO_TEMPLATE = json.loads(Path(__file__).with_name("cluster_info.json").read_text())

INSTANCE_FIELDS = [
    "admin_state", "beparams", "ctime", "custom_beparams", "custom_hvparams", "custom_nicparams",
    "disk.names", "disk.sizes", "disk.spindles", "disk.uuids", "disk_template", "disk_usage", "hvparams",
    "mtime", "name", "network_port", "nic.bridges", "nic.ips", "nic.links", "nic.macs", "nic.modes",
    "nic.names", "nic.networks", "nic.networks.names", "nic.uuids", "oper_ram", "oper_state", "oper_vcpus",
    "os", "pnode", "serial_no", "snodes", "status", "tags", "uuid",
]


def now_ts() -> float:
    return time.time()


class OpError(Exception):
    """A failed opcode, encoded in a job's opresult as [type, [message, code]] like Ganeti's errors."""

    def __init__(self, message, code=None, kind="OpPrereqError"):
        super().__init__(message)
        self.kind, self.message, self.code = kind, message, code

    def encode(self):
        return [self.kind, [self.message, self.code] if self.code else [self.message]]


class Cluster:
    def __init__(self, state: dict):
        self.lock = threading.RLock()
        self.version = 0
        self._cache: dict = {}
        self.info = state["cluster"]
        self.groups = {g["name"]: g for g in state["groups"]}
        self.nodes = {n["name"]: n for n in state["nodes"]}
        self.networks = {n["name"]: n for n in state["networks"]}
        self.instances = {i["name"]: i for i in state["instances"]}
        self.rng = random.Random(state.get("seed", 0))

    # -- persistence -------------------------------------------------------------------------------
    def to_state(self) -> dict:
        with self.lock:
            return copy.deepcopy({
                "cluster": self.info, "groups": list(self.groups.values()), "nodes": list(self.nodes.values()),
                "networks": list(self.networks.values()), "instances": list(self.instances.values()),
            })

    # -- change tracking ---------------------------------------------------------------------------
    def touch(self, obj=None):
        """Records a change: bumps the object's serial_no/mtime and the cluster's version."""
        if obj is not None:
            obj["serial_no"] += 1
            obj["mtime"] = now_ts()
        self.version += 1

    def cached(self, key, build):
        """build() serialized to JSON bytes, reused until the state changes."""
        with self.lock:
            hit = self._cache.get(key)
            if hit and hit[0] == self.version:
                return hit[1]
            body = json.dumps(build()).encode()
            self._cache[key] = (self.version, body)
            return body

    # -- helpers -----------------------------------------------------------------------------------
    @property
    def domain(self):
        name = self.info["name"]
        return name.split(".", 1)[1] if "." in name else name

    def master(self):
        return self.info["master"]

    def node_used_memory(self, node_name):
        return sum(i["running_mem"] for i in self.instances.values() if i["pnode"] == node_name and i["running"])

    def node_free_memory(self, node_name):
        node = self.nodes[node_name]
        return node["mtotal"] - node["mnode"] - self.node_used_memory(node_name)

    def node_free_disk(self, node_name):
        used = 0
        for inst in self.instances.values():
            if inst["disk_template"] in ("plain", "drbd") and (
                    inst["pnode"] == node_name or node_name in inst["snodes"]):
                used += disk_usage(inst)
        return self.nodes[node_name]["dtotal"] - used

    def allocatable_nodes(self, exclude=()):
        """Nodes an allocator may place on, most free memory first (what hail roughly prefers)."""
        nodes = [n for n in self.nodes.values()
                 if n["vm_capable"] and not n["offline"] and not n["drained"] and n["name"] not in exclude]
        return sorted(nodes, key=lambda n: (-self.node_free_memory(n["name"]), n["name"]))

    def next_network_port(self):
        used = {i["network_port"] for i in self.instances.values()}
        port = PORT_POOL_START
        while port in used:
            port += 1
        return port

    def new_uuid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def new_mac(self):
        return MAC_PREFIX + ":" + ":".join("%02x" % self.rng.randrange(256) for _ in range(3))

    def network_by_ref(self, ref):
        """A network by name or UUID (NIC parameters accept both)."""
        for net in self.networks.values():
            if ref in (net["name"], net["uuid"]):
                return net
        return None

    def network_used_ips(self, net):
        return {nic["ip"] for inst in self.instances.values() for nic in inst["nics"]
                if nic["network"] == net["uuid"] and nic["ip"]}

    def allocate_ip(self, net):
        """The first free address of the network, as Ganeti's ip=pool does; None when it is full."""
        taken = self.network_used_ips(net) | set(net["external_reservations"])
        for host in ipaddress.ip_network(net["network"]).hosts():
            if str(host) not in taken:
                return str(host)
        return None

    # -- views -------------------------------------------------------------------------------------
    def info_view(self):
        info = copy.deepcopy(_INFO_TEMPLATE)
        info.update({
            "name": self.info["name"], "master": self.info["master"], "uuid": self.info["uuid"],
            "ctime": self.info["ctime"], "mtime": self.info["mtime"], "tags": list(self.info["tags"]),
            "default_hypervisor": HYPERVISOR, "enabled_hypervisors": [HYPERVISOR],
            "enabled_disk_templates": list(DISK_TEMPLATES), "master_netdev": NIC_LINK,
            "nicparams": {"default": {"link": NIC_LINK, "mode": "bridged", "vlan": ""}},
            "volume_group_name": "xenvg", "vg_name": "xenvg",
            "drbd_usermode_helper": "/bin/true", "drbd_helper": "/bin/true",
        })
        info["hvparams"][HYPERVISOR] = self.cluster_hvparams()
        info["ipolicy"]["disk-templates"] = list(DISK_TEMPLATES)
        return info

    def cluster_hvparams(self):
        # A cluster set up for VNC consoles: VNC bound on all addresses and no serial console (KVM's
        # default serial_console=true would make /console answer "ssh"), so /console reports VNC.
        return dict(_INFO_TEMPLATE["hvparams"][HYPERVISOR], vnc_bind_address="0.0.0.0", serial_console=False)

    def cluster_beparams(self):
        return dict(_INFO_TEMPLATE["beparams"]["default"])

    def instance_status(self, inst):
        node = self.nodes.get(inst["pnode"])
        if inst["admin_state"] == "offline":
            return "ADMIN_offline"
        if node is None or node["offline"]:
            return "ERROR_nodeoffline"
        if inst["running"]:
            return "running" if inst["admin_state"] == "up" else "ERROR_up"
        return "ERROR_down" if inst["admin_state"] == "up" else "ADMIN_down"

    def instance_view(self, inst):
        node_offline = self.nodes[inst["pnode"]]["offline"]
        beparams = dict(self.cluster_beparams(), **inst["custom_beparams"])
        beparams["memory"] = beparams["maxmem"]  # RAPI adds the pre-2.6 name for old clients
        nets = [self.network_by_ref(nic["network"]) if nic["network"] else None for nic in inst["nics"]]
        modes = [nic["nicparams"].get("mode", "bridged") for nic in inst["nics"]]
        links = [nic["nicparams"].get("link", NIC_LINK) for nic in inst["nics"]]
        running = None if node_offline else inst["running"]
        return {
            "admin_state": inst["admin_state"],
            "beparams": beparams,
            "ctime": inst["ctime"],
            "custom_beparams": dict(inst["custom_beparams"]),
            "custom_hvparams": dict(inst["custom_hvparams"]),
            "custom_nicparams": [dict(nic["nicparams"]) for nic in inst["nics"]],
            "disk.names": [d["name"] for d in inst["disks"]],
            "disk.sizes": [d["size"] for d in inst["disks"]],
            "disk.spindles": [d["spindles"] for d in inst["disks"]],
            "disk.uuids": [d["uuid"] for d in inst["disks"]],
            "disk_template": inst["disk_template"] if inst["disks"] else "diskless",
            "disk_usage": disk_usage(inst),
            "hvparams": dict(self.cluster_hvparams(), **inst["custom_hvparams"]),
            "mtime": inst["mtime"],
            "name": inst["name"],
            "network_port": inst["network_port"],
            "nic.bridges": [link if mode == "bridged" else None for mode, link in zip(modes, links)],
            "nic.ips": [nic["ip"] for nic in inst["nics"]],
            "nic.links": links,
            "nic.macs": [nic["mac"] for nic in inst["nics"]],
            "nic.modes": modes,
            "nic.names": [nic["name"] for nic in inst["nics"]],
            "nic.networks": [net["uuid"] if net else None for net in nets],
            "nic.networks.names": [net["name"] if net else None for net in nets],
            "nic.uuids": [nic["uuid"] for nic in inst["nics"]],
            "oper_ram": inst["running_mem"] if running else None,
            "oper_state": running,
            "oper_vcpus": inst["running_vcpus"] if running else None,
            "os": inst["os"],
            "pnode": inst["pnode"],
            "serial_no": inst["serial_no"],
            "snodes": list(inst["snodes"]),
            "status": self.instance_status(inst),
            "tags": list(inst["tags"]),
            "uuid": inst["uuid"],
        }

    def node_role(self, node):
        if node["name"] == self.info["master"]:
            return "M"
        if node["offline"]:
            return "O"
        if node["drained"]:
            return "D"
        return "C" if node["master_candidate"] else "R"

    def node_view(self, node):
        name = node["name"]
        primaries = sorted(i["name"] for i in self.instances.values() if i["pnode"] == name)
        secondaries = sorted(i["name"] for i in self.instances.values() if name in i["snodes"])
        live = not node["offline"]  # an offline node answers no RPC: its live fields are null
        return {
            "cnodes": 1 if live else None, "cnos": 1 if live else None,
            "csockets": node["csockets"] if live else None, "ctime": node["ctime"],
            "ctotal": node["ctotal"] if live else None,
            "dfree": self.node_free_disk(name) if live else None, "drained": node["drained"],
            "dtotal": node["dtotal"] if live else None, "group.uuid": self.groups[node["group"]]["uuid"],
            "master_candidate": node["master_candidate"], "master_capable": node["master_capable"],
            "mfree": self.node_free_memory(name) if live else None,
            "mnode": node["mnode"] if live else None, "mtime": node["mtime"],
            "mtotal": node["mtotal"] if live else None, "name": name,
            "ndparams": dict(_INFO_TEMPLATE["ndparams"]), "offline": node["offline"],
            "pinst_cnt": len(primaries), "pinst_list": primaries, "pip": node["pip"],
            "role": self.node_role(node), "serial_no": node["serial_no"],
            "sinst_cnt": len(secondaries), "sinst_list": secondaries, "sip": node["sip"],
            "spfree": None, "sptotal": None, "tags": list(node["tags"]), "uuid": node["uuid"],
            "vm_capable": node["vm_capable"],
        }

    def group_view(self, group):
        members = sorted(n["name"] for n in self.nodes.values() if n["group"] == group["name"])
        info = _INFO_TEMPLATE
        return {
            "alloc_policy": group["alloc_policy"], "ctime": group["ctime"], "custom_diskparams": {},
            "custom_ipolicy": {}, "custom_ndparams": {}, "diskparams": copy.deepcopy(info["diskparams"]),
            "ipolicy": dict(copy.deepcopy(info["ipolicy"]), **{"disk-templates": list(DISK_TEMPLATES)}),
            "mtime": group["mtime"], "name": group["name"], "ndparams": dict(info["ndparams"]),
            "node_cnt": len(members), "node_list": members, "serial_no": group["serial_no"],
            "tags": list(group["tags"]), "uuid": group["uuid"],
        }

    def network_view(self, net):
        subnet = ipaddress.ip_network(net["network"])
        reserved = self.network_used_ips(net) | set(net["external_reservations"])
        address_map = "".join("X" if str(addr) in reserved else "." for addr in subnet)
        members = sorted(i["name"] for i in self.instances.values()
                         if any(nic["network"] == net["uuid"] for nic in i["nics"]))
        return {
            "ctime": net["ctime"], "external_reservations": ", ".join(net["external_reservations"]),
            "free_count": subnet.num_addresses - len(reserved), "gateway": net["gateway"], "gateway6": None,
            # [group, mode, link, vlan] per connected group (the docs' "group(mode, link)" strings are
            # older Ganeti; 3.0.2 answers lists)
            "group_list": [[group, mode, link, ""] for group, (mode, link) in sorted(net["groups"].items())],
            "inst_list": members, "mac_prefix": None, "map": address_map, "mtime": net["mtime"],
            "name": net["name"], "network": net["network"], "network6": None,
            "reserved_count": len(reserved), "serial_no": net["serial_no"], "tags": list(net["tags"]),
            "uuid": net["uuid"],
        }


def disk_usage(inst):
    if inst["disk_template"] == "diskless":
        return 0
    extra = DRBD_META_MIB if inst["disk_template"] == "drbd" else 0
    return sum(d["size"] + extra for d in inst["disks"])


def generate(*, name, nodes, groups, networks, instances, owners, owner_groups, tag_prefix, seed) -> dict:
    """A plausible cluster: nodes spread over groups, instances spread over nodes with a mix of disk
    templates, sizes and states, some owned (tags) by the given users and groups."""
    rng = random.Random(seed)
    created = now_ts() - 86400 * 30

    def new_uuid():
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def stamp(obj, when=created):
        obj.update(ctime=when, mtime=when, serial_no=1, tags=obj.get("tags", []), uuid=new_uuid())
        return obj

    domain = name.split(".", 1)[1] if "." in name else name
    group_objs = [stamp({"name": "default" if i == 0 else "group%d" % (i + 1), "alloc_policy": "preferred"})
                  for i in range(groups)]
    node_objs = []
    for i in range(nodes):
        node_objs.append(stamp({
            "name": "node%d.%s" % (i + 1, domain), "group": group_objs[i % groups]["name"],
            "pip": "198.51.100.%d" % (10 + i), "sip": "198.51.100.%d" % (10 + i),
            "master_candidate": i < CANDIDATE_POOL_SIZE, "drained": False, "offline": False,
            "master_capable": True, "vm_capable": True, "mtotal": NODE_MTOTAL_MIB, "mnode": NODE_MNODE_MIB,
            "dtotal": NODE_DTOTAL_MIB, "ctotal": 16, "csockets": 2,
        }))
    network_objs = []
    for i in range(networks):
        subnet = ipaddress.ip_network("10.%d.0.0/22" % (i + 1))
        gateway = str(subnet.network_address + 1)
        network_objs.append(stamp({
            "name": "net%d" % (i + 1), "network": str(subnet), "gateway": gateway,
            # Ganeti reserves the network and broadcast addresses and the gateway as external.
            "external_reservations": [str(subnet.network_address), gateway, str(subnet.broadcast_address)],
            "groups": {g["name"]: ["routed", "rt%d" % (i + 1)] for g in group_objs},
        }))

    state = {"cluster": stamp({"name": name, "master": node_objs[0]["name"]}), "groups": group_objs,
             "nodes": node_objs, "networks": network_objs, "instances": [], "seed": seed}
    state["cluster"]["tags"] = []
    cluster = Cluster(state)
    cluster.rng = rng
    width = max(4, len(str(instances)))
    for i in range(instances):
        template = "drbd" if nodes > 1 and i % 3 != 2 else rng.choice(["plain", "file"])
        pnode = node_objs[i % nodes]["name"]
        snodes = [node_objs[(i + 1) % nodes]["name"]] if template == "drbd" else []
        maxmem = rng.choice([512, 1024, 1024, 2048, 2048, 4096])
        vcpus = rng.choice([1, 1, 2, 2, 4])
        tags = []
        slot = i % (len(owners) + 1)
        if slot < len(owners):  # one slot in each round stays unowned
            tags.append("%s:user:%s" % (tag_prefix, owners[slot]))
        if owner_groups and i % 5 == 4:
            tags.append("%s:group:%s" % (tag_prefix, owner_groups[(i // 5) % len(owner_groups)]))
        nic = {"mac": cluster.new_mac(), "ip": None, "network": None, "nicparams": {"link": NIC_LINK},
               "uuid": cluster.new_uuid(), "name": None}
        if network_objs and i % 2 == 0:
            net = network_objs[(i // 2) % len(network_objs)]
            address = cluster.allocate_ip(net)
            if address:
                mode, link = net["groups"][node_objs[i % nodes]["group"]]
                nic.update(ip=address, network=net["uuid"], nicparams={"mode": mode, "link": link})
        roll = rng.random()
        admin_state, running = ("up", True) if roll < 0.8 else ("down", False) if roll < 0.97 else ("up", False)
        inst = stamp({
            "name": "inst%0*d.%s" % (width, i + 1, domain), "os": rng.choice(OS_NAMES), "pnode": pnode,
            "snodes": snodes, "disk_template": template, "hypervisor": HYPERVISOR,
            "disks": [{"size": rng.choice([5120, 10240, 20480, 40960]), "uuid": cluster.new_uuid(), "name": None,
                       "spindles": None}],
            "nics": [nic], "admin_state": admin_state, "running": running, "running_mem": maxmem,
            "running_vcpus": vcpus, "custom_beparams": {"maxmem": maxmem, "minmem": maxmem, "vcpus": vcpus},
            "custom_hvparams": {}, "network_port": PORT_POOL_START + i, "tags": tags,
        }, when=created + i)
        cluster.instances[inst["name"]] = inst
    # Nodes large enough for what was placed on them, plus headroom for creates in the demo and tests.
    for node in node_objs:
        needed = node["mnode"] + cluster.node_used_memory(node["name"])
        node["mtotal"] = max(NODE_MTOTAL_MIB, -(-int(needed * 1.25) // 1024) * 1024)
        needed_disk = node["dtotal"] - cluster.node_free_disk(node["name"])
        node["dtotal"] = max(NODE_DTOTAL_MIB, -(-int(needed_disk * 1.25) // 1024) * 1024)
    state["instances"] = list(cluster.instances.values())
    return state
