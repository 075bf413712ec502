"""One simulated cluster: its state, job queue, users, faults and HTTP server, and the control API."""

import json
import os
import threading
from pathlib import Path

from ganetisim.auth import Users
from ganetisim.cluster import Cluster, generate
from ganetisim.jobs import JobQueue
from ganetisim.ops import Operations, make_opcode
from ganetisim.server import ControlError, Faults, Rapi, RapiServer
from ganetisim.tls import make_context
from ganetisim.vnc import VncScreens

STATE_FORMAT = 1


class Simulator:
    def __init__(self, options):
        self.options = options
        self.state_path = Path(options.state) if options.state else None
        self.users = Users(options.users_file)
        self.require_authentication = options.require_authentication
        self.latency = options.latency_ms / 1000.0
        self.wait_timeout = options.wait_timeout
        self.faults = Faults(mode=options.fault, paths=options.fault_paths)
        self.stopping = threading.Event()
        self.requests = {}
        self.requests_lock = threading.Lock()
        saved = self._load()
        state = saved["cluster"] if saved else generate(
            name=options.cluster_name, nodes=options.nodes, groups=options.groups, networks=options.networks,
            instances=options.instances, owners=_names(options.owners), owner_groups=_names(options.owner_groups),
            tag_prefix=options.tag_prefix, seed=options.seed)
        self.cluster = Cluster(state)
        self.ops = Operations(self.cluster, lambda: self.queue)
        self.queue = JobQueue(self.cluster, self.ops.handlers(), options.job_duration_ms, seed=options.seed)
        if saved:
            self.queue.load_state(saved["jobs"])
        elif getattr(options, "jobs", 0):
            self.queue.seed_finished(options.jobs, make_opcode)
        # VNC screens: with --vnc the nodes get loopback addresses and running instances a screen.
        self.vnc = VncScreens(self.cluster, options.vnc) if getattr(options, "vnc", None) else None
        self.rapi = Rapi(self)
        self.fingerprint = None
        tls_context = None
        if options.tls:
            tls_context, self.fingerprint = make_context(self.cluster.info["name"], ["127.0.0.1", "::1"],
                                                         options.tls_cert)
        self.server = RapiServer((options.host, options.port), self, tls_context)
        self.port = self.server.server_address[1]
        self.url = "%s://%s:%d" % ("https" if options.tls else "http", _url_host(options.host), self.port)

    def _load(self):
        if self.state_path and self.state_path.exists():
            saved = json.loads(self.state_path.read_text())
            if saved.get("format") != STATE_FORMAT:
                raise SystemExit("ganetisim: %s is not a state file of this version" % self.state_path)
            return saved
        return None

    def serve(self):
        self.queue.start()
        # serve_forever notices shutdown() once per poll interval: 0.05 s instead of 0.5 s makes SIGTERM prompt.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       name="ganetisim-http", daemon=True)
        self.thread.start()
        if self.vnc:
            self.vnc.start()

    def stop(self):
        self.stopping.set()  # releases requests held by the timeout fault
        if self.vnc:
            self.vnc.stop()
        self.server.shutdown()
        self.server.server_close()
        self.queue.stop()
        if self.state_path:
            self.save()

    def save(self):
        state = {"format": STATE_FORMAT, "cluster": self.cluster.to_state(), "jobs": self.queue.to_state()}
        state["cluster"]["seed"] = self.options.seed
        partial = self.state_path.with_name(self.state_path.name + ".tmp")
        partial.write_text(json.dumps(state))
        os.replace(partial, self.state_path)  # a crash mid-write keeps the previous state
        return str(self.state_path)

    def count_request(self, method, path):
        key = f"{method} {path}"
        with self.requests_lock:
            self.requests[key] = self.requests.get(key, 0) + 1

    def control(self, method, action, raw):
        """The control API under /__ganetisim__/: faults (GET, PUT), state (GET), save (PUT), stats (GET:
        RAPI requests served, by method and path, so tests can tell how often a client asked), vnc (GET: the
        instances' VNC screens with --vnc)."""
        if action == "faults" and method == "GET":
            return self.faults.as_dict()
        if action == "faults" and method == "PUT":
            try:
                settings = json.loads(raw or b"{}")
                if not isinstance(settings, dict):
                    raise ValueError("the body must be a JSON object")
                self.faults.update(settings)
            except ValueError as error:
                raise ControlError(400, str(error))
            return self.faults.as_dict()
        if action == "state" and method == "GET":
            return {"url": self.url, "fingerprint": self.fingerprint, "faults": self.faults.as_dict(),
                    "cluster": self.cluster.to_state(), "jobs": self.queue.to_state()}
        if action == "stats" and method == "GET":
            with self.requests_lock:
                return {"requests": dict(self.requests)}
        if action == "vnc" and method == "GET":  # the VNC screens: addresses, viewers, key events
            if not self.vnc:
                raise ControlError(409, "started without --vnc: no VNC screens")
            return self.vnc.as_dict()
        if action == "save" and method == "PUT":
            if not self.state_path:
                raise ControlError(409, "started without --state: nowhere to save")
            return {"saved": self.save()}
        raise ControlError(404, "unknown control request %s %s" % (method, action))


def _names(text):
    return [name for name in (text or "").split(",") if name]


def _url_host(host):
    return "[%s]" % host if ":" in host else host
