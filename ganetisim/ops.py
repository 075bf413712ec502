"""Opcodes: their parameters as RAPI submits them, and what each one checks and changes.

A handler runs when its opcode starts: it checks prerequisites (raising OpError with Ganeti's message
and error code, e.g. "wrong_state", "insufficient_resources") and returns the change, which the queue
applies when the opcode's run time is over; the change's return value is the opcode's result.
"""

import copy
import re
import time

from ganetisim.cluster import DISK_TEMPLATES, MIGRATABLE_TEMPLATES, OS_NAMES, OpError, now_ts

WRONG_STATE, NO_RESOURCES, UNKNOWN, EXISTS, INVALID = (
    "wrong_state", "insufficient_resources", "unknown_entity", "already_exists", "wrong_input")

_COMMON = {"comment": None, "debug_level": 0, "depends": None, "dry_run": False, "priority": 0}
# Each opcode's parameters with Ganeti 3.0's defaults: what RAPI accepts in a body, and what a job's
# "ops" shows.
OPCODE_DEFAULTS = {
    "OP_INSTANCE_CREATE": {
        "beparams": {}, "commit": False, "compress": "none", "conflicts_check": True, "disk_template": None,
        "disks": None, "file_driver": "loop", "file_storage_dir": None, "force_variant": False,
        "forthcoming": False, "group_name": None, "helper_shutdown_timeout": 7200, "helper_startup_timeout": 300,
        "hvparams": {}, "hypervisor": None, "iallocator": None, "identify_defaults": False,
        "ignore_ipolicy": False, "instance_communication": False, "instance_name": None, "ip_check": True,
        "mode": None, "name_check": True, "nics": None, "no_install": None, "opportunistic_locking": False,
        "os_type": None, "osparams": {}, "osparams_private": {}, "osparams_secret": {}, "pnode": None,
        "snode": None, "source_shutdown_timeout": 120, "start": True, "tags": [], "wait_for_sync": True,
    },
    "OP_INSTANCE_REMOVE": {"instance_name": None, "ignore_failures": False, "shutdown_timeout": 120},
    "OP_INSTANCE_STARTUP": {"instance_name": None, "force": False, "ignore_offline_nodes": False,
                            "no_remember": False, "startup_paused": False, "hvparams": {}, "beparams": {}},
    "OP_INSTANCE_SHUTDOWN": {"instance_name": None, "timeout": 120, "ignore_offline_nodes": False,
                             "no_remember": False, "force": False, "admin_state_source": "admin"},
    "OP_INSTANCE_REBOOT": {"instance_name": None, "reboot_type": "hard", "ignore_secondaries": False,
                           "shutdown_timeout": 120},
    "OP_INSTANCE_REINSTALL": {"instance_name": None, "os_type": None, "osparams": {}, "force_variant": False,
                              "osparams_private": {}, "osparams_secret": {}},
    "OP_INSTANCE_RENAME": {"instance_name": None, "new_name": None, "name_check": True, "ip_check": True},
    "OP_INSTANCE_SET_PARAMS": {
        "instance_name": None, "beparams": {}, "hvparams": {}, "osparams": {}, "osparams_private": {},
        "os_name": None, "offline": None, "force": False, "runtime_mem": None, "disks": [], "nics": [],
        "hotplug": False, "conflicts_check": True, "wait_for_sync": True, "disk_template": None,
        "remote_node": None, "iallocator": None, "pnode": None, "instance_communication": None,
    },
    "OP_INSTANCE_MIGRATE": {
        "instance_name": None, "mode": None, "live": None, "cleanup": False, "target_node": None,
        "iallocator": None, "allow_failover": False, "allow_runtime_changes": True, "ignore_ipolicy": False,
        "ignore_hvversions": False,
    },
    "OP_INSTANCE_FAILOVER": {"instance_name": None, "ignore_consistency": False, "shutdown_timeout": 120,
                             "target_node": None, "iallocator": None, "ignore_ipolicy": False, "cleanup": False},
    "OP_INSTANCE_QUERY_DATA": {"instances": [], "static": False, "use_locking": False},
    "OP_INSTANCE_REPLACE_DISKS": {"instance_name": None, "mode": "replace_new_secondary", "disks": [],
                                  "remote_node": None, "iallocator": None, "early_release": False},
    "OP_TAGS_SET": {"kind": None, "name": None, "tags": []},
    "OP_TAGS_DEL": {"kind": None, "name": None, "tags": []},
    "OP_NODE_SET_PARAMS": {"node_name": None, "master_candidate": None, "offline": None, "drained": None,
                           "force": False, "auto_promote": False},
    "OP_NODE_MIGRATE": {"node_name": None, "mode": None, "live": None, "target_node": None, "iallocator": None,
                        "ignore_ipolicy": False, "allow_runtime_changes": True},
    "OP_NODE_EVACUATE": {"node_name": None, "mode": None, "remote_node": None, "iallocator": None,
                         "early_release": False},
}


def make_opcode(op_id, params, *, resource, reason=None, dry_run=False):
    """An opcode dict as RAPI builds it: defaults, the given parameters, and the reason trail (the
    caller's reason= first, then rlib2's own entry naming the resource, e.g. instances_name_reboot).
    resource=None gives no trail, as for the opcodes rlib2 builds itself (reinstall)."""
    op = {"OP_ID": op_id, **_COMMON, **copy.deepcopy(OPCODE_DEFAULTS[op_id]), **params, "dry_run": dry_run}
    trail = []
    if reason is not None:
        trail.append(["gnt:user", reason, time.time_ns()])
    if resource is not None:
        trail.append(["gnt:library:rlib2:%s" % resource, "", time.time_ns()])
    op["reason"] = trail
    return op


class Operations:
    def __init__(self, cluster, queue_ref):
        self.cluster = cluster
        self.queue_ref = queue_ref  # the JobQueue, created after us (it needs our handlers)

    def handlers(self):
        return {
            "OP_INSTANCE_CREATE": self.create, "OP_INSTANCE_REMOVE": self.remove,
            "OP_INSTANCE_STARTUP": self.startup, "OP_INSTANCE_SHUTDOWN": self.shutdown,
            "OP_INSTANCE_REBOOT": self.reboot, "OP_INSTANCE_REINSTALL": self.reinstall,
            "OP_INSTANCE_RENAME": self.rename, "OP_INSTANCE_SET_PARAMS": self.modify,
            "OP_INSTANCE_MIGRATE": self.migrate, "OP_INSTANCE_FAILOVER": self.failover,
            "OP_INSTANCE_QUERY_DATA": self.query_data, "OP_INSTANCE_REPLACE_DISKS": self.replace_disks,
            "OP_TAGS_SET": self.tags_set, "OP_TAGS_DEL": self.tags_del,
            "OP_NODE_SET_PARAMS": self.node_set_params, "OP_NODE_MIGRATE": self.node_migrate,
            "OP_NODE_EVACUATE": self.node_evacuate,
        }

    # -- helpers -----------------------------------------------------------------------------------
    def log(self, job, message):
        self.queue_ref().log(job, message)

    def instance(self, name):
        inst = self.cluster.instances.get(name)
        if inst is None:
            raise OpError("Instance '%s' not known" % name, UNKNOWN)
        return inst

    def target(self, op):
        """The opcode's instance; like Ganeti's ExpandNames, records its UUID in the opcode."""
        inst = self.instance(op["instance_name"])
        op["instance_uuid"] = inst["uuid"]
        return inst

    def node(self, name):
        node = self.cluster.nodes.get(name)
        if node is None:
            raise OpError("Node '%s' not known" % name, UNKNOWN)
        return node

    def check_memory(self, node_name, reason, needed):
        free = self.cluster.node_free_memory(node_name)
        if needed > free:
            raise OpError("Not enough memory on node %s for %s: needed %s MiB, available %s MiB"
                          % (node_name, reason, needed, free), NO_RESOURCES)

    def check_online(self, inst):
        if inst["admin_state"] == "offline":
            raise OpError("Instance '%s' is marked to be offline" % inst["name"], WRONG_STATE)

    def filled_be(self, inst):
        return dict(self.cluster.cluster_beparams(), **inst["custom_beparams"])

    def start(self, inst):
        # What the hypervisor runs with; beparams changed later apply at the next start.
        filled = self.filled_be(inst)
        inst.update(running=True, running_mem=filled["maxmem"], running_vcpus=filled["vcpus"])

    def pick_node(self, exclude, reason, memory):
        candidates = self.cluster.allocatable_nodes(exclude)
        if not candidates:
            raise OpError("Can't find any good node", NO_RESOURCES)
        self.check_memory(candidates[0]["name"], reason, memory)
        return candidates[0]["name"]

    # -- instances ---------------------------------------------------------------------------------
    def create(self, job, op):
        cluster = self.cluster
        name = op["instance_name"]
        if name in cluster.instances:
            raise OpError("Instance '%s' is already in the cluster" % name, EXISTS)
        if op["mode"] != "create":
            raise OpError("Invalid instance creation mode '%s'" % op["mode"], INVALID)
        template = op["disk_template"]
        if template not in DISK_TEMPLATES:
            raise OpError("Disk template '%s' is not enabled in cluster. Enabled disk templates are: %s"
                          % (template, ",".join(DISK_TEMPLATES)), INVALID)
        if op["os_type"] not in OS_NAMES and not op["no_install"]:
            raise OpError("OS '%s' not in supported OS list for cluster" % op["os_type"], INVALID)
        beparams = dict(op["beparams"])
        if "memory" in beparams:  # the opcode's legacy name for maxmem and minmem
            memory = beparams.pop("memory")
            beparams.setdefault("maxmem", memory)
            beparams.setdefault("minmem", memory)
        maxmem = dict(cluster.cluster_beparams(), **beparams)["maxmem"]
        reason = "creating instance %s" % name
        if op["pnode"]:
            pnode = self.node(op["pnode"])["name"]
            if op["start"]:
                self.check_memory(pnode, reason, maxmem)
        else:
            pnode = self.pick_node((), reason, maxmem if op["start"] else 0)
        snodes = []
        if template == "drbd":
            snodes = [self.node(op["snode"])["name"] if op["snode"] else self.pick_node({pnode}, reason, 0)]
            if snodes[0] == pnode:
                raise OpError("The secondary node cannot be the primary node", INVALID)
        nics = []
        for params in op["nics"]:
            nic = {"mac": cluster.new_mac() if params.get("mac", "auto") in ("auto", "generate") else params["mac"],
                   "ip": params.get("ip"), "network": None, "uuid": cluster.new_uuid(), "name": params.get("name"),
                   "nicparams": {k: params[k] for k in ("mode", "link") if params.get(k)}}
            if params.get("network"):
                net = cluster.network_by_ref(params["network"])
                if net is None:
                    raise OpError("Network '%s' not known" % params["network"], UNKNOWN)
                nic["network"] = net["uuid"]
                nic["nicparams"] = dict(zip(("mode", "link"), net["groups"][cluster.nodes[pnode]["group"]]))
                if nic["ip"] == "pool":
                    nic["ip"] = cluster.allocate_ip(net)
                    if nic["ip"] is None:
                        raise OpError("Unable to get a free IP from network %s" % net["name"], NO_RESOURCES)
            elif nic["ip"] == "pool":
                raise OpError("If ip=pool, parameter network must be passed too", INVALID)
            nics.append(nic)
        disks = [{"size": int(d["size"]), "uuid": cluster.new_uuid(), "name": d.get("name"),
                  "spindles": d.get("spindles")} for d in op["disks"]]
        for index, disk in enumerate(disks):
            self.log(job, "* disk %d, size %s" % (index, _human_size(disk["size"])))
        nodes = [pnode] + snodes
        op["pnode"], op["pnode_uuid"] = pnode, cluster.nodes[pnode]["uuid"]
        if op["dry_run"]:  # Ganeti 3.0.2 reports a dry run's nodes by UUID, a real create's by name
            return lambda: [cluster.nodes[n]["uuid"] for n in nodes]

        def apply():
            if name in cluster.instances:  # created by another job meanwhile
                raise OpError("Instance '%s' is already in the cluster" % name, EXISTS)
            self.log(job, "* creating instance disks...")
            self.log(job, "adding instance %s to cluster config" % name)
            when = now_ts()
            inst = {
                "name": name, "os": op["os_type"], "pnode": pnode, "snodes": snodes, "disk_template": template,
                "hypervisor": op["hypervisor"] or "kvm", "disks": disks, "nics": nics,
                "admin_state": "up" if op["start"] else "down", "running": False, "running_mem": maxmem,
                "running_vcpus": None,
                "custom_beparams": beparams, "custom_hvparams": dict(op["hvparams"]),
                "network_port": cluster.next_network_port(), "tags": list(op["tags"]),
                "uuid": cluster.new_uuid(), "ctime": when, "mtime": when, "serial_no": 1,
            }
            if not op["no_install"]:
                self.log(job, "* running the instance OS create scripts...")
            if op["start"]:
                self.log(job, "* starting instance...")
                self.start(inst)
            cluster.instances[name] = inst
            cluster.touch()
            return nodes
        return apply

    def remove(self, job, op):
        inst = self.target(op)
        if op["dry_run"]:
            return lambda: None

        def apply():
            del self.cluster.instances[inst["name"]]
            self.cluster.touch()
        return apply

    def startup(self, job, op):
        inst = self.target(op)
        self.check_online(inst)
        if self.cluster.nodes[inst["pnode"]]["offline"]:
            raise OpError("Cannot start instance %s: its primary node %s is offline"
                          % (inst["name"], inst["pnode"]), WRONG_STATE)
        if not inst["running"]:
            self.check_memory(inst["pnode"], "starting instance %s" % inst["name"], self.filled_be(inst)["minmem"])
        if op["dry_run"]:
            return lambda: None

        def apply():
            # Starting a running instance is no error in Ganeti: the node finds it running and is done.
            if not inst["running"]:
                self.start(inst)
            if not op["no_remember"]:
                inst["admin_state"] = "up"
            self.cluster.touch(inst)
        return apply

    def shutdown(self, job, op):
        inst = self.target(op)
        self.check_online(inst)
        if op["dry_run"]:
            return lambda: None

        def apply():
            inst["running"] = False
            if not op["no_remember"]:
                inst["admin_state"] = "down"
            self.cluster.touch(inst)
        return apply

    def reboot(self, job, op):
        inst = self.target(op)
        self.check_online(inst)
        if op["reboot_type"] not in ("soft", "hard", "full"):
            raise OpError("Invalid reboot type '%s'" % op["reboot_type"], INVALID)
        if not inst["running"]:
            self.check_memory(inst["pnode"], "starting instance %s" % inst["name"], self.filled_be(inst)["minmem"])
        if op["dry_run"]:
            return lambda: None

        def apply():
            # A stopped instance is started by a reboot, and marked up, as in LUInstanceReboot.
            self.start(inst)
            inst["admin_state"] = "up"
            self.cluster.touch(inst)
        return apply

    def reinstall(self, job, op):
        inst = self.target(op)
        if inst["running"]:
            raise OpError("Instance '%s' is marked to be up, cannot reinstall" % inst["name"], WRONG_STATE)
        if not inst["disks"] or inst["disk_template"] == "diskless":
            raise OpError("Instance '%s' has no disks" % inst["name"], INVALID)
        os_name = op["os_type"] or inst["os"]
        if os_name not in OS_NAMES:
            raise OpError("OS '%s' not in supported OS list for cluster" % os_name, INVALID)
        if op["dry_run"]:
            return lambda: None

        def apply():
            self.log(job, "Running instance OS create scripts...")
            inst["os"] = os_name
            self.cluster.touch(inst)
        return apply

    def rename(self, job, op):
        inst = self.target(op)
        new_name = op["new_name"]
        if inst["running"]:
            raise OpError("Instance '%s' is marked to be up, cannot rename" % inst["name"], WRONG_STATE)
        if new_name in self.cluster.instances:
            raise OpError("Instance '%s' is already in the cluster" % new_name, EXISTS)
        if op["dry_run"]:
            return lambda: new_name

        def apply():
            del self.cluster.instances[inst["name"]]
            inst["name"] = new_name
            self.cluster.instances[new_name] = inst
            self.cluster.touch(inst)
            return new_name
        return apply

    def modify(self, job, op):
        inst = self.target(op)
        beparams = {k: v for k, v in op["beparams"].items()}
        if "memory" in beparams:
            memory = beparams.pop("memory")
            beparams.setdefault("maxmem", memory)
            beparams.setdefault("minmem", memory)
        known = set(self.cluster.cluster_beparams())
        unknown = sorted(set(beparams) - known)
        if unknown:
            raise OpError("Unknown backend parameter(s): %s" % ", ".join(unknown), INVALID)
        filled = dict(self.filled_be(inst), **beparams)
        if filled["minmem"] > filled["maxmem"]:
            raise OpError("Minimum memory (%s) is greater than maximum memory (%s)"
                          % (filled["minmem"], filled["maxmem"]), INVALID)
        if op["offline"] is not None and inst["running"]:
            raise OpError("Instance '%s' is marked to be up, cannot change the offline status" % inst["name"],
                          WRONG_STATE)
        if op["os_name"] and op["os_name"] not in OS_NAMES:
            raise OpError("OS '%s' not in supported OS list for cluster" % op["os_name"], INVALID)
        if not (beparams or op["hvparams"] or op["os_name"] or op["offline"] is not None):
            raise OpError("No changes submitted", INVALID)
        if op["dry_run"]:
            return lambda: []

        def apply():
            changes = []
            for key, value in sorted(beparams.items()):
                inst["custom_beparams"][key] = value
                changes.append(["be/%s" % key, value])
            for key, value in sorted(op["hvparams"].items()):
                inst["custom_hvparams"][key] = value
                changes.append(["hv/%s" % key, value])
            if op["os_name"]:
                inst["os"] = op["os_name"]
                changes.append(["os", op["os_name"]])
            if op["offline"] is not None:
                inst["admin_state"] = "offline" if op["offline"] else "down"
                changes.append(["admin_state", inst["admin_state"]])
            self.cluster.touch(inst)
            return changes
        return apply

    def _move_target(self, inst, target_node, action):
        if inst["disk_template"] not in MIGRATABLE_TEMPLATES:
            raise OpError("Instance's disk layout '%s' does not allow %s" % (inst["disk_template"], action),
                          WRONG_STATE)
        if inst["disk_template"] == "drbd":
            if target_node and target_node not in inst["snodes"]:
                raise OpError("Instances with disk template drbd cannot be migrated to arbitrary nodes",
                              INVALID)
            return inst["snodes"][0]
        if target_node:
            return self.node(target_node)["name"]
        return self.pick_node({inst["pnode"]}, "%s instance %s" % (action, inst["name"]), 0)

    def _move(self, inst, target):
        old = inst["pnode"]
        inst["pnode"] = target
        if inst["disk_template"] == "drbd":
            inst["snodes"] = [old]
        self.cluster.touch(inst)

    def migrate(self, job, op):
        inst = self.target(op)
        target = self._move_target(inst, op["target_node"], "migrations")
        if not inst["running"] and not op["cleanup"]:
            if not op["allow_failover"]:
                raise OpError("Can't migrate, please use failover", WRONG_STATE)
            self.log(job, "Instance is marked down or offline, fallback allowed, going for failover")
        elif inst["running"]:
            self.check_memory(target, "migrating instance %s" % inst["name"], inst["running_mem"])
        if op["dry_run"]:
            return lambda: None
        self.log(job, "Migrating instance %s" % inst["name"])

        def apply():
            self.log(job, "* done")
            self._move(inst, target)
        return apply

    def failover(self, job, op):
        inst = self.target(op)
        target = self._move_target(inst, op["target_node"], "failover")
        if inst["admin_state"] == "up":
            self.check_memory(target, "failing over instance %s" % inst["name"], self.filled_be(inst)["minmem"])
        if op["dry_run"]:
            return lambda: None
        self.log(job, "Failover instance %s" % inst["name"])

        def apply():
            was_running = inst["running"]
            self._move(inst, target)
            if was_running or inst["admin_state"] == "up":
                self.start(inst)
        return apply

    def replace_disks(self, job, op):
        inst = self.target(op)
        if inst["disk_template"] != "drbd":
            raise OpError("Can only run replace disks for DRBD8-based instances", INVALID)
        remote = op["remote_node"] or self.pick_node({inst["pnode"], *inst["snodes"]},
                                                     "replacing disks of %s" % inst["name"], 0)
        if remote == inst["pnode"]:
            raise OpError("The specified node is the primary node of the instance", INVALID)

        def apply():
            self.log(job, "Replacing disks of %s: new secondary %s" % (inst["name"], remote))
            inst["snodes"] = [remote]
            self.cluster.touch(inst)
        return apply

    def query_data(self, job, op):
        names = op["instances"] or sorted(self.cluster.instances)
        for name in names:
            self.instance(name)

        def apply():
            return {name: self._instance_data(self.cluster.instances[name], op["static"]) for name in names}
        return apply

    def _instance_data(self, inst, static):
        view = self.cluster.instance_view(inst)
        groups = self.cluster.groups
        pgroup = groups[self.cluster.nodes[inst["pnode"]]["group"]]
        sgroups = [groups[self.cluster.nodes[n]["group"]] for n in inst["snodes"]]
        return {
            "name": inst["name"], "config_state": inst["admin_state"],
            "run_state": None if static else ("up" if inst["running"] else "down"),
            "pnode": inst["pnode"], "pnode_group_uuid": pgroup["uuid"], "pnode_group_name": pgroup["name"],
            "snodes": list(inst["snodes"]), "snodes_group_uuids": [g["uuid"] for g in sgroups],
            "snodes_group_names": [g["name"] for g in sgroups], "os": inst["os"],
            "nics": [[nic["name"], nic["uuid"], nic["mac"], nic["ip"], mode, link, None, None]
                     for nic, mode, link in zip(inst["nics"], view["nic.modes"], view["nic.links"])],
            "disk_template": view["disk_template"],
            "disks": [{"iv_name": "disk/%d" % i, "dev_type": inst["disk_template"], "size": d["size"],
                       "mode": "rw", "name": d["name"], "uuid": d["uuid"], "spindles": d["spindles"],
                       "pstatus": None, "sstatus": None, "children": []} for i, d in enumerate(inst["disks"])],
            "hypervisor": inst["hypervisor"], "network_port": inst["network_port"],
            "hv_instance": dict(inst["custom_hvparams"]), "hv_actual": view["hvparams"],
            "be_instance": dict(inst["custom_beparams"]), "be_actual": self.filled_be(inst),
            "os_instance": {}, "os_actual": {},
            "serial_no": inst["serial_no"], "mtime": inst["mtime"], "ctime": inst["ctime"], "uuid": inst["uuid"],
        }

    # -- tags --------------------------------------------------------------------------------------
    def tag_owner(self, kind, name):
        cluster = self.cluster
        objects = {"instance": cluster.instances, "node": cluster.nodes, "nodegroup": cluster.groups,
                   "network": cluster.networks}
        if kind == "cluster":
            return cluster.info
        found = objects[kind].get(name)
        if found is None:
            raise OpError("%s '%s' not known" % ({"nodegroup": "Group"}.get(kind, kind.capitalize()), name),
                          UNKNOWN)
        return found

    def tags_set(self, job, op):
        owner = self.tag_owner(op["kind"], op["name"])
        for tag in op["tags"]:
            check_tag(tag)
        if len(set(owner["tags"]) | set(op["tags"])) > 4096:
            raise OpError("Cannot have more than 4096 tags on an object", NO_RESOURCES)
        if op["dry_run"]:
            return lambda: None

        def apply():
            owner["tags"] = owner["tags"] + [t for t in op["tags"] if t not in owner["tags"]]
            self.cluster.touch(owner)
        return apply

    def tags_del(self, job, op):
        owner = self.tag_owner(op["kind"], op["name"])
        missing = sorted(set(op["tags"]) - set(owner["tags"]))
        if missing:
            raise OpError("Tag(s) %s not found" % ", ".join("'%s'" % t for t in missing), UNKNOWN)
        if op["dry_run"]:
            return lambda: None

        def apply():
            owner["tags"] = [t for t in owner["tags"] if t not in op["tags"]]
            self.cluster.touch(owner)
        return apply

    # -- nodes -------------------------------------------------------------------------------------
    def node_set_params(self, job, op):
        node = self.node(op["node_name"])
        if node["name"] == self.cluster.master():
            raise OpError("The master role can be changed only via master failover", INVALID)
        flags = {k: op[k] for k in ("master_candidate", "offline", "drained") if op[k] is not None}
        if flags.get("offline") and self.cluster.node_used_memory(node["name"]) and not op["force"]:
            raise OpError("Node %s still has running instances" % node["name"], WRONG_STATE)
        if op["dry_run"]:
            return lambda: []

        def apply():
            node.update(master_candidate=False, offline=False, drained=False)
            node.update(flags)
            self.cluster.touch(node)
            return [[key, value] for key, value in sorted(flags.items())]
        return apply

    def _child_jobs(self, op_id, instances, params):
        queue = self.queue_ref()
        ids = []
        for inst in instances:
            child = make_opcode(op_id, dict(params, instance_name=inst["name"]), resource="node")
            ids.append([True, queue.submit([child], locks={"instance:" + inst["name"]})])
        return {"jobs": ids}

    def node_migrate(self, job, op):
        node = self.node(op["node_name"])
        instances = [i for i in self.cluster.instances.values() if i["pnode"] == node["name"] and i["running"]]
        fixed = [i["name"] for i in instances if i["disk_template"] not in MIGRATABLE_TEMPLATES]
        if fixed:
            raise OpError("Instance(s) %s cannot be migrated: disk template not mirrored" % ", ".join(sorted(fixed)),
                          WRONG_STATE)
        params = {"mode": op["mode"], "target_node": op["target_node"], "iallocator": op["iallocator"]}
        return lambda: self._child_jobs("OP_INSTANCE_MIGRATE", instances, params)

    def node_evacuate(self, job, op):
        node = self.node(op["node_name"])
        mode = op["mode"] or "all"
        if mode not in ("primary-only", "secondary-only", "all"):
            raise OpError("Invalid evacuation mode '%s'" % mode, INVALID)
        instances = self.cluster.instances.values()
        primaries = [i for i in instances if i["pnode"] == node["name"]] if mode != "secondary-only" else []
        secondaries = [i for i in instances if node["name"] in i["snodes"]] if mode != "primary-only" else []
        fixed = [i["name"] for i in primaries if i["disk_template"] not in MIGRATABLE_TEMPLATES]
        if fixed:
            raise OpError("Instance(s) %s cannot be evacuated: disk template not mirrored" % ", ".join(sorted(fixed)),
                          WRONG_STATE)

        def apply():
            result = self._child_jobs("OP_INSTANCE_FAILOVER", primaries, {"target_node": None})
            result["jobs"] += self._child_jobs("OP_INSTANCE_REPLACE_DISKS", secondaries,
                                               {"remote_node": op["remote_node"]})["jobs"]
            return result
        return apply


def check_tag(tag):
    """Ganeti's tag rules: at most 128 characters out of [\\w.+*/:@-]; a TagError has no error code."""
    if not isinstance(tag, str) or not tag:
        raise OpError("Tags must be non-empty strings", kind="TagError")
    if len(tag) > 128:
        raise OpError("Tag too long (>128 characters)", kind="TagError")
    if not re.fullmatch(r"[\w.+*/:@-]+", tag):
        raise OpError("Tag contains invalid characters", kind="TagError")


def _human_size(mib):
    return "%.1fG" % (mib / 1024.0) if mib >= 1024 else "%dM" % mib

