"""The HTTP side: RAPI v2 resources with ganeti-rapi's transport behaviour, plus the control API.

Order of checks per request, as in ganeti-rapi: path (404; the name regex is anchored, so a trailing
slash is 404 too), method (501), authentication (401) and the user's access option (403), then the
body: a body needs exactly `Content-Type: application/json` (415) and must be JSON (400). Errors are
`{"code", "message", "explain"}` with the message HTML-escaped; every answer says `Connection: close`.

The control API lives outside RAPI's namespace under /__ganetisim__/ (see README): faults, state, save.
"""

import html
import http
import json
import re
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from ganetisim.auth import READ, REALM, WRITE
from ganetisim.cluster import INSTANCE_FIELDS, NODE_ROLE_WORDS, OS_NAMES, SOFTWARE_VERSION, OpError
from ganetisim.jobs import JOB_FIELDS, JOB_FIELDS_BULK
from ganetisim.ops import OPCODE_DEFAULTS, make_opcode
from ganetisim.query import RESOURCES, QueryError, all_field_definitions, instance_extra, run_query

CONTROL_PREFIX = "/__ganetisim__/"
FAULT_MODES = (None, "timeout", "error500", "error502", "error503", "garbage", "drop")
FEATURES = ["instance-create-reqv1", "instance-reinstall-reqv1", "node-migrate-reqv1", "node-evac-res1"]
NAME = r"([\w._-]+)"
TAG_KIND_WORDS = {"instance": "Instance", "node": "Node", "nodegroup": "Group", "network": "Network"}
OPEN = None  # access of a GET that needs no credentials unless --require-authentication
READ_ACCESS = (READ, WRITE)  # user options that allow a request
WRITE_ACCESS = (WRITE,)


class HttpError(Exception):
    def __init__(self, code, message=None, headers=None):
        super().__init__(message)
        self.code = code
        self.message = message or http.HTTPStatus(code).phrase
        self.headers = headers or {}


class Request:
    def __init__(self, query, body):
        self.query, self.body = query, body

    def arg(self, name, default=None):
        values = self.query.get(name)
        return values[0] if values else default

    def flag(self, name, default=False):
        """A boolean query argument: RAPI takes integers (0/1), not true/false."""
        value = self.arg(name)
        if value is None:
            return default
        try:
            return bool(int(value))
        except ValueError:
            raise HttpError(400, "Invalid value for argument '%s': '%s' is not an integer" % (name, value))

    def body_dict(self):
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise HttpError(400, "Invalid body contents, not a dictionary")
        return self.body


class Faults:
    """Injected misbehaviour, switchable at run time: mode, extra latency, paths it applies to."""

    def __init__(self, mode=None, latency_ms=0, paths=None, hold_s=120.0):
        self.lock = threading.Lock()
        self.update({"mode": mode, "latency_ms": latency_ms, "paths": paths, "hold_s": hold_s})

    def update(self, settings):
        mode = settings.get("mode", getattr(self, "mode", None))
        if mode not in FAULT_MODES:
            raise ValueError("mode must be one of %s" % ", ".join(str(m).lower() for m in FAULT_MODES))
        paths = settings.get("paths", getattr(self, "paths", None))
        latency = settings.get("latency_ms", getattr(self, "latency_ms", 0))
        hold = settings.get("hold_s", getattr(self, "hold_s", 120.0))
        if not isinstance(latency, (int, float)) or latency < 0 or not isinstance(hold, (int, float)) or hold < 0:
            raise ValueError("latency_ms and hold_s must be non-negative numbers")
        try:
            pattern = re.compile(paths) if paths else None
        except (re.error, TypeError) as error:
            raise ValueError("paths is not a regular expression: %s" % error)
        with self.lock:
            self.mode, self.paths, self.latency_ms, self.hold_s, self.pattern = mode, paths, latency, hold, pattern

    def as_dict(self):
        return {"mode": self.mode, "latency_ms": self.latency_ms, "paths": self.paths, "hold_s": self.hold_s}

    def for_path(self, path):
        """(mode, extra latency in s) that apply to a request path."""
        with self.lock:
            if self.pattern and not self.pattern.search(path):
                return None, 0.0
            return self.mode, self.latency_ms / 1000.0


class Rapi:
    """The RAPI resources: a table of (path regex, {method: (access, function)})."""

    def __init__(self, sim):
        self.sim = sim
        self.cluster = sim.cluster
        self.queue = sim.queue
        instance_tags = self._tags_resource("instance", "instances_name_tags")
        self.routes = [(route_regex(pattern), methods) for pattern, methods in [
            ("/version", {"GET": (OPEN, lambda r: 2)}),
            ("/2/info", {"GET": (OPEN, lambda r: self.cached("info", self.cluster.info_view))}),
            ("/2/features", {"GET": (OPEN, lambda r: FEATURES)}),
            ("/2/os", {"GET": (OPEN, lambda r: list(OS_NAMES))}),
            ("/2/tags", self._tags_resource("cluster", "tags")),
            ("/2/instances", {"GET": (OPEN, self.instances), "POST": (WRITE_ACCESS, self.instance_create)}),
            ("/2/instances/<name>", {"GET": (OPEN, self.instance), "DELETE": (WRITE_ACCESS, self.instance_delete)}),
            ("/2/instances/<name>/startup", {"PUT": (WRITE_ACCESS, self.instance_startup)}),
            ("/2/instances/<name>/shutdown", {"PUT": (WRITE_ACCESS, self.instance_shutdown)}),
            ("/2/instances/<name>/reboot", {"POST": (WRITE_ACCESS, self.instance_reboot)}),
            ("/2/instances/<name>/reinstall", {"POST": (WRITE_ACCESS, self.instance_reinstall)}),
            ("/2/instances/<name>/rename", {"PUT": (WRITE_ACCESS, self.instance_rename)}),
            ("/2/instances/<name>/modify", {"PUT": (WRITE_ACCESS, self.instance_modify)}),
            ("/2/instances/<name>/migrate", {"PUT": (WRITE_ACCESS, self.instance_migrate)}),
            ("/2/instances/<name>/failover", {"PUT": (WRITE_ACCESS, self.instance_failover)}),
            ("/2/instances/<name>/tags", instance_tags),
            ("/2/instances/<name>/console", {"GET": (READ_ACCESS, self.instance_console)}),
            ("/2/instances/<name>/info", {"GET": (OPEN, self.instance_info)}),
            ("/2/nodes", {"GET": (OPEN, self.nodes)}),
            ("/2/nodes/<name>", {"GET": (OPEN, self.node)}),
            ("/2/nodes/<name>/role", {"GET": (OPEN, self.node_role), "PUT": (WRITE_ACCESS, self.node_set_role)}),
            ("/2/nodes/<name>/migrate", {"POST": (WRITE_ACCESS, self.node_migrate)}),
            ("/2/nodes/<name>/evacuate", {"POST": (WRITE_ACCESS, self.node_evacuate)}),
            ("/2/nodes/<name>/tags", self._tags_resource("node", "nodes_name_tags")),
            ("/2/groups", {"GET": (OPEN, self.groups)}),
            ("/2/groups/<name>", {"GET": (OPEN, self.group)}),
            ("/2/groups/<name>/tags", self._tags_resource("nodegroup", "groups_name_tags")),
            ("/2/networks", {"GET": (OPEN, self.networks)}),
            ("/2/networks/<name>", {"GET": (OPEN, self.network)}),
            ("/2/networks/<name>/tags", self._tags_resource("network", "networks_name_tags")),
            ("/2/jobs", {"GET": (OPEN, self.jobs)}),
            ("/2/jobs/<id>", {"GET": (OPEN, self.job), "DELETE": (WRITE_ACCESS, self.job_cancel)}),
            ("/2/jobs/<id>/wait", {"GET": (WRITE_ACCESS, self.job_wait)}),
            ("/2/query/<name>", {"GET": (READ_ACCESS, self.query_get), "PUT": (READ_ACCESS, self.query_put)}),
            ("/2/query/<name>/fields", {"GET": (OPEN, self.query_fields)}),
        ]]

    def resolve(self, method, path):
        """(access, function, path arguments); HttpError 404 or 501."""
        for pattern, methods in self.routes:
            found = pattern.match(path)
            if found:
                if method not in methods:
                    raise HttpError(501, "Method %s is unsupported for path %s" % (method, path))
                access, function = methods[method]
                return access, function, found.groups()
        raise HttpError(404, None)

    def cached(self, key, build):
        return RawJson(self.cluster.cached(key, build))

    # -- submitting jobs ---------------------------------------------------------------------------
    def submit(self, req, op_id, resource, params, locks):
        op = make_opcode(op_id, params, resource=resource, reason=req.arg("reason"), dry_run=req.flag("dry-run"))
        return self.queue.submit([op], locks)

    def opcode_params(self, req, op_id, *, fixed, rename=None, body=None):
        """An opcode's parameters from a dict body (renamed keys, unknown ones refused) plus the
        URL-derived ones, which the body may not override."""
        body = req.body_dict() if body is None else body
        params = {}
        for key, value in body.items():
            key = (rename or {}).get(key, key)
            if key not in OPCODE_DEFAULTS[op_id] and key not in ("depends", "comment"):
                raise HttpError(400, "Invalid body parameters: Object %s doesn't support the parameter '%s'"
                                % (op_id_class(op_id), key))
            params[key] = value
        overridden = sorted(set(params) & set(fixed))
        if overridden:
            raise HttpError(400, "Not allowed to override parameters on %s: %s"
                            % (op_id_class(op_id), ", ".join(overridden)))
        params.update(fixed)
        return params

    # -- instances ---------------------------------------------------------------------------------
    def existing_instance(self, name):
        with self.cluster.lock:
            inst = self.cluster.instances.get(name)
            if inst is None:
                raise HttpError(404, None)
            return inst

    def instances(self, req):
        if req.flag("bulk"):
            return self.cached("instances", lambda: [self.cluster.instance_view(self.cluster.instances[n])
                                                     for n in sorted(self.cluster.instances)])
        with self.cluster.lock:
            return [{"id": n, "uri": "/2/instances/%s" % n} for n in sorted(self.cluster.instances)]

    def instance(self, req, name):
        with self.cluster.lock:
            return self.cluster.instance_view(self.existing_instance(name))

    def instance_create(self, req):
        body = dict(req.body_dict())
        version = body.pop("__version__", 0)
        if version == 0:
            raise HttpError(400, "Instance creation request version 0 is not supported")
        if version != 1:
            raise HttpError(400, "Unsupported request data version %s" % version)
        params = self.opcode_params(req, "OP_INSTANCE_CREATE", fixed={}, body=body,
                                    rename={"name": "instance_name", "os": "os_type"})
        for key in ("mode", "instance_name", "disk_template", "disks", "nics"):
            if params.get(key) is None:
                raise HttpError(400, "Invalid body parameters: Parameter 'OP_INSTANCE_CREATE.%s' fails validation"
                                % key)
        if not isinstance(params["disks"], list) or not all(
                isinstance(d, dict) and isinstance(d.get("size"), int) for d in params["disks"]):
            raise HttpError(400, "Invalid body parameters: Parameter 'OP_INSTANCE_CREATE.disks' fails validation")
        if not isinstance(params["nics"], list) or not all(isinstance(n, dict) for n in params["nics"]):
            raise HttpError(400, "Invalid body parameters: Parameter 'OP_INSTANCE_CREATE.nics' fails validation")
        return self.submit(req, "OP_INSTANCE_CREATE", "instances", params, {"instance:" + params["instance_name"]})

    def instance_delete(self, req, name):
        params = self.opcode_params(req, "OP_INSTANCE_REMOVE", fixed={"instance_name": name})
        return self.submit(req, "OP_INSTANCE_REMOVE", "instances_name", params, {"instance:" + name})

    def instance_startup(self, req, name):
        # The body is ignored, as in rlib2.
        params = {"instance_name": name, "force": req.flag("force"), "no_remember": req.flag("no_remember")}
        return self.submit(req, "OP_INSTANCE_STARTUP", "instances_name_startup", params, {"instance:" + name})

    def instance_shutdown(self, req, name):
        params = self.opcode_params(req, "OP_INSTANCE_SHUTDOWN",
                                    fixed={"instance_name": name, "no_remember": req.flag("no_remember")})
        return self.submit(req, "OP_INSTANCE_SHUTDOWN", "instances_name_shutdown", params, {"instance:" + name})

    def instance_reboot(self, req, name):
        params = self.opcode_params(req, "OP_INSTANCE_REBOOT", fixed={
            "instance_name": name, "reboot_type": req.arg("type", "hard"),
            "ignore_secondaries": req.flag("ignore_secondaries")})
        return self.submit(req, "OP_INSTANCE_REBOOT", "instances_name_reboot", params, {"instance:" + name})

    def instance_reinstall(self, req, name):
        body = req.body_dict()
        if body and req.query:
            raise HttpError(400, "Can't combine query and body parameters")
        if not body:  # the legacy form: ?os=...&nostartup=1
            body = {"os": req.arg("os"), "start": not req.flag("nostartup")}
        # rlib2 builds these opcodes itself: no reason= and no library entry reach their trail (seen on
        # Ganeti 3.0.2), and it reads only os, start and osparams from the body.
        dry_run = req.flag("dry-run")
        ops = [make_opcode("OP_INSTANCE_SHUTDOWN", {"instance_name": name}, resource=None, dry_run=dry_run),
               make_opcode("OP_INSTANCE_REINSTALL", {"instance_name": name, "os_type": body.get("os"),
                                                     "osparams": body.get("osparams") or {}},
                           resource=None, dry_run=dry_run)]
        if body.get("start", True):
            ops.append(make_opcode("OP_INSTANCE_STARTUP", {"instance_name": name}, resource=None, dry_run=dry_run))
        return self.queue.submit(ops, {"instance:" + name})

    def instance_rename(self, req, name):
        params = self.opcode_params(req, "OP_INSTANCE_RENAME", fixed={"instance_name": name})
        if not params.get("new_name"):
            raise HttpError(400, "Required parameter 'new_name' is missing")
        return self.submit(req, "OP_INSTANCE_RENAME", "instances_name_rename", params,
                           {"instance:" + name, "instance:" + params["new_name"]})

    def instance_modify(self, req, name):
        params = self.opcode_params(req, "OP_INSTANCE_SET_PARAMS", fixed={"instance_name": name},
                                    rename={"custom_beparams": "beparams", "custom_hvparams": "hvparams"})
        for key in ("beparams", "hvparams"):
            if not isinstance(params.get(key, {}), dict):
                raise HttpError(400, "Invalid body parameters: Parameter 'OP_INSTANCE_SET_PARAMS.%s' fails "
                                     "validation" % key)
        return self.submit(req, "OP_INSTANCE_SET_PARAMS", "instances_name_modify", params, {"instance:" + name})

    def instance_migrate(self, req, name):
        params = self.opcode_params(req, "OP_INSTANCE_MIGRATE", fixed={"instance_name": name})
        return self.submit(req, "OP_INSTANCE_MIGRATE", "instances_name_migrate", params, {"instance:" + name})

    def instance_failover(self, req, name):
        params = self.opcode_params(req, "OP_INSTANCE_FAILOVER", fixed={"instance_name": name})
        return self.submit(req, "OP_INSTANCE_FAILOVER", "instances_name_failover", params, {"instance:" + name})

    def instance_console(self, req, name):
        with self.cluster.lock:
            inst = self.cluster.instances.get(name)
            if inst is None:
                # ganeti-rapi 3.0.2 fails this way on an unknown instance (indexes an empty result).
                raise HttpError(500, "list index out of range")
            if not inst["running"] or self.cluster.nodes[inst["pnode"]]["offline"]:
                raise HttpError(503, "Instance console unavailable")
            # KVM's precedence (hv_kvm GetInstanceConsole): serial console, else VNC when bound (host is the
            # bind address as configured, often 0.0.0.0), else SPICE, else a message.
            hvparams = dict(self.cluster.cluster_hvparams(), **inst["custom_hvparams"])
            port = inst["network_port"]
            if hvparams.get("serial_console"):
                return {"instance": name, "kind": "ssh", "host": inst["pnode"], "port": 22, "user": "root",
                        "command": ["/usr/lib/ganeti/tools/kvm-console-wrapper", "/usr/bin/socat", name,
                                    "/var/run/ganeti/kvm-hypervisor/ctrl/%s.serial" % name,
                                    "STDIO,raw,echo=0,escape=0x1d"]}
            if hvparams.get("vnc_bind_address") and port > 5900:
                return {"instance": name, "kind": "vnc", "host": hvparams["vnc_bind_address"], "port": port,
                        "display": port - 5900}
            if hvparams.get("spice_bind"):
                return {"instance": name, "kind": "spice", "host": hvparams["spice_bind"], "port": port}
            return {"instance": name, "kind": "msg", "message": "No serial shell for instance %s" % name}

    def instance_info(self, req, name):
        params = {"instances": [name], "static": req.flag("static")}
        return self.submit(req, "OP_INSTANCE_QUERY_DATA", "instances_name_info", params, ())

    # -- tags --------------------------------------------------------------------------------------
    def _tags_resource(self, kind, resource):
        def owner(name):
            with self.cluster.lock:
                try:
                    return self.sim.ops.tag_owner(kind, name)
                except OpError:
                    # ganeti-rapi 3.0.2 answers 500 with the query error's text
                    message = "%s name %s not found" % (TAG_KIND_WORDS[kind], name)
                    raise HttpError(500, str((message, "unknown_entity")))

        def get(req, name=None):
            return list(owner(name)["tags"])

        def change(op_id):
            def submit(req, name=None):
                params = {"kind": kind, "name": name, "tags": req.query.get("tag", [])}
                lock = "cluster" if kind == "cluster" else "%s:%s" % (kind, name)
                return self.submit(req, op_id, resource, params, {lock})
            return submit

        return {"GET": (OPEN, get), "PUT": (WRITE_ACCESS, change("OP_TAGS_SET")),
                "DELETE": (WRITE_ACCESS, change("OP_TAGS_DEL"))}

    # -- nodes, groups, networks -------------------------------------------------------------------
    def _collection(self, key, objects, view, id_key, uri):
        def listing(req):
            if req.flag("bulk"):
                return self.cached(key, lambda: [view(objects()[n]) for n in sorted(objects())])
            with self.cluster.lock:
                return [{id_key: n, "uri": uri % n} for n in sorted(objects())]
        return listing

    def nodes(self, req):
        return self._collection("nodes", lambda: self.cluster.nodes, self.cluster.node_view, "id", "/2/nodes/%s")(req)

    def existing_node(self, name):
        node = self.cluster.nodes.get(name)
        if node is None:
            raise HttpError(404, None)
        return node

    def node(self, req, name):
        with self.cluster.lock:
            return self.cluster.node_view(self.existing_node(name))

    def node_role(self, req, name):
        with self.cluster.lock:
            return NODE_ROLE_WORDS[self.cluster.node_role(self.existing_node(name))]

    def node_set_role(self, req, name):
        role = req.body
        if not isinstance(role, str):
            raise HttpError(400, "Invalid body contents, not a string")
        flags = {"regular": (False, False, False), "master-candidate": (True, False, False),
                 "drained": (False, False, True), "offline": (False, True, False)}.get(role)
        if flags is None:
            raise HttpError(400, "Can't set '%s' role" % role)
        params = dict(zip(("master_candidate", "offline", "drained"), flags), node_name=name,
                      force=req.flag("force"), auto_promote=req.flag("auto-promote"))
        return self.submit(req, "OP_NODE_SET_PARAMS", "nodes_name_role", params, {"node:" + name})

    def node_migrate(self, req, name):
        if req.body is None:  # before node-migrate-reqv1 the mode came in the query string
            body = {k: v for k, v in (("mode", req.arg("mode")), ("live", req.arg("live"))) if v is not None}
        else:
            body = req.body_dict()
        params = self.opcode_params(req, "OP_NODE_MIGRATE", fixed={"node_name": name}, body=body)
        return self.submit(req, "OP_NODE_MIGRATE", "nodes_name_migrate", params, {"node:" + name})

    def node_evacuate(self, req, name):
        params = self.opcode_params(req, "OP_NODE_EVACUATE", fixed={"node_name": name})
        return self.submit(req, "OP_NODE_EVACUATE", "nodes_name_evacuate", params, {"node:" + name})

    def groups(self, req):
        return self._collection("groups", lambda: self.cluster.groups, self.cluster.group_view, "name",
                                "/2/groups/%s")(req)

    def _single(self, objects, view, name):
        with self.cluster.lock:
            found = objects.get(name)
            if found is None:
                raise HttpError(404, None)
            return view(found)

    def group(self, req, name):
        return self._single(self.cluster.groups, self.cluster.group_view, name)

    def networks(self, req):
        return self._collection("networks", lambda: self.cluster.networks, self.cluster.network_view, "name",
                                "/2/networks/%s")(req)

    def network(self, req, name):
        return self._single(self.cluster.networks, self.cluster.network_view, name)

    # -- jobs --------------------------------------------------------------------------------------
    def jobs(self, req):
        with self.cluster.lock:
            ids = sorted(self.queue.jobs)
            if req.flag("bulk"):
                return [self.queue.jobs[i].as_dict(JOB_FIELDS_BULK) for i in ids]
            return [{"id": i, "uri": "/2/jobs/%d" % i} for i in ids]

    def job(self, req, job_id):
        with self.cluster.lock:
            job = self.queue.get(int(job_id))
            # Ganeti 3.0.2 answers an unknown job id with 200 and every field null.
            return job.as_dict() if job else dict(dict.fromkeys(JOB_FIELDS), id=int(job_id))

    def job_cancel(self, req, job_id):
        return self.queue.cancel(int(job_id))

    def job_wait(self, req, job_id):
        body = req.body_dict()
        fields = body.get("fields")
        if not isinstance(fields, list):
            raise HttpError(400, "'fields' must be a list")
        previous_info = body.get("previous_job_info")
        if previous_info is not None and not isinstance(previous_info, list):
            raise HttpError(400, "'previous_job_info' must be a list")
        previous_serial = body.get("previous_log_serial")
        if previous_serial is not None and not isinstance(previous_serial, int):
            raise HttpError(400, "'previous_log_serial' must be a number")
        try:
            return self.queue.wait_for_change(int(job_id), fields, previous_info, previous_serial,
                                              self.sim.wait_timeout)
        except KeyError:
            raise HttpError(404, "Job not found")

    # -- query -------------------------------------------------------------------------------------
    def query_rows(self, resource):
        cluster = self.cluster
        if resource not in RESOURCES:
            raise HttpError(404, None)
        with cluster.lock:
            if resource == "instance":
                rows = []
                for name in sorted(cluster.instances):
                    view = cluster.instance_view(cluster.instances[name])
                    rows.append(dict(view, **instance_extra(view)))
                return rows
            if resource == "node":
                return [cluster.node_view(cluster.nodes[n]) for n in sorted(cluster.nodes)]
            if resource == "group":
                return [cluster.group_view(cluster.groups[n]) for n in sorted(cluster.groups)]
            if resource == "network":
                return [cluster.network_view(cluster.networks[n]) for n in sorted(cluster.networks)]
            return [dict(self.queue.jobs[i].as_dict(), archived=False) for i in sorted(self.queue.jobs)]

    def _query(self, resource, fields, qfilter):
        if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
            raise HttpError(400, "'fields' must be a list of strings")
        def answer():
            try:
                return run_query(self.query_rows(resource), fields, qfilter)
            except QueryError as error:
                raise HttpError(500, str(error))

        if resource == "job":  # jobs change without the cluster's version
            return answer()
        # A list page asks the same query again and again: serve it from the cache until the state changes.
        return self.cached("query:%s:%s" % (resource, json.dumps([fields, qfilter], sort_keys=True)), answer)

    def query_get(self, req, resource):
        fields = [f for f in req.arg("fields", "").split(",") if f]
        if not fields:
            fields = ["name"] if resource != "job" else ["id"]
        return self._query(resource, fields, None)

    def query_put(self, req, resource):
        body = req.body_dict()
        qfilter = body.get("qfilter", body.get("filter"))
        return self._query(resource, body.get("fields"), qfilter)

    def query_fields(self, req, resource):
        rows = self.query_rows(resource)
        if resource == "instance" and not rows:
            names = INSTANCE_FIELDS
        else:
            names = None
        wanted = req.arg("fields")
        return all_field_definitions(rows, wanted.split(",") if wanted else names)


def route_regex(pattern):
    """Ganeti's anchored URL patterns: names are [\\w._-]+, job ids digits."""
    return re.compile("^%s$" % pattern.replace("<name>", NAME).replace("<id>", r"(\d+)"))


class RawJson(bytes):
    """An answer already serialized (cached bulk lists)."""


def op_id_class(op_id):
    """OP_INSTANCE_CREATE -> OpInstanceCreate, as Ganeti's messages name opcodes."""
    return "Op" + "".join(part.capitalize() for part in op_id[3:].split("_"))


class RequestHandler(BaseHTTPRequestHandler):
    server_version = "Ganeti %s" % SOFTWARE_VERSION
    protocol_version = "HTTP/1.1"
    timeout = 60  # a client that stops talking frees its thread

    def version_string(self):
        return self.server_version

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        """Quiet: a busy demo would fill its log with one line per request."""

    def do_GET(self):
        self.handle_request("GET")

    def do_PUT(self):
        self.handle_request("PUT")

    def do_POST(self):
        self.handle_request("POST")

    def do_DELETE(self):
        self.handle_request("DELETE")

    def handle_request(self, method):
        sim = self.server.sim
        self.close_connection = True
        url = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            if url.path.startswith(CONTROL_PREFIX):
                self.send_json(200, sim.control(method, url.path[len(CONTROL_PREFIX):], raw))
                return
            sim.count_request(method, url.path)
            mode, extra_latency = sim.faults.for_path(url.path)
            delay = sim.latency + extra_latency
            if delay:
                time.sleep(delay)
            if mode == "timeout":
                sim.stopping.wait(sim.faults.hold_s)
                return  # closes without an answer after holding the client
            if mode == "drop":
                return
            if mode in ("error500", "error502", "error503"):
                raise HttpError(int(mode[5:]), None)
            if mode == "garbage":
                self.send_body(200, b"<html><body>Proxy error: upstream said something odd</body></html>",
                               "text/html")
                return
            access, function, args = sim.rapi.resolve(method, url.path)
            self.authorize(method, access)
            body = self.parse_body(raw)
            result = function(Request(parse_qs(url.query, keep_blank_values=True), body), *args)
            self.send_json(200, result)
        except HttpError as error:
            self.send_error_body(error)
        except ControlError as error:
            self.send_json(error.code, {"error": str(error)})

    def authorize(self, method, access):
        sim = self.server.sim
        if access is OPEN and not (sim.require_authentication or method != "GET"):
            return
        user = sim.users.authenticate(self.headers.get("Authorization"))
        if user is None:
            raise HttpError(401, None, {"WWW-Authenticate": 'Basic realm="%s"' % REALM})
        if access and not set(access) & user[1]:
            raise HttpError(403, None)

    def parse_body(self, raw):
        if not raw:
            return None
        if self.headers.get("Content-Type", "").strip() != "application/json":
            raise HttpError(415, None)
        try:
            return json.loads(raw)
        except ValueError:
            raise HttpError(400, "Unable to parse JSON data")

    def send_error_body(self, error):
        explain = http.HTTPStatus(error.code).description
        body = {"code": error.code, "message": html.escape(error.message), "explain": explain}
        self.send_json(error.code, body, error.headers)

    def send_json(self, code, payload, headers=None):
        body = payload if isinstance(payload, RawJson) else json.dumps(payload).encode()
        self.send_body(code, body, "application/json", headers)

    def send_body(self, code, body, content_type, headers=None):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class ControlError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class RapiServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address, sim, tls_context=None):
        self.sim = sim
        self.tls_context = tls_context
        super().__init__(address, RequestHandler)

    def handle_error(self, request, client_address):
        """A client that hangs up or fails the TLS handshake is no error of the simulator's."""
        if not isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)

    def get_request(self):
        sock, address = super().get_request()
        if self.tls_context:
            # The handshake happens on first read, in the request's thread: a slow client cannot
            # hold up the accept loop.
            sock = self.tls_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

