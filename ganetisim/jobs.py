"""The job queue: jobs go queued -> (waiting) -> running -> success | error | canceled in a scheduler
thread, one opcode after the other, with the shapes of Ganeti's job objects.

An opcode's handler (ganetisim.ops) runs its prerequisite checks when the opcode starts and returns the
change to apply when its (simulated) run time is over, as Ganeti's CheckPrereq/Exec do. Jobs touching
the same object wait for each other (Ganeti's locks); the others run side by side.
"""

import random
import threading
import time

from ganetisim.cluster import OpError

FINALIZED = ("success", "error", "canceled")
PENDING = ("queued", "waiting", "canceling")
JOB_FIELDS_BULK = ["id", "ops", "status", "summary", "opstatus", "received_ts", "start_ts", "end_ts"]
JOB_FIELDS = JOB_FIELDS_BULK + ["oplog", "opresult"]
# Ganeti's job queue picks up new jobs about every 0.25 s; as a share of --job-duration-ms.
QUEUE_DELAY_SHARE = 0.3
# Run time of each opcode relative to --job-duration-ms (real 3.0.2 on the fake hypervisor: simple
# instance actions 0.35-0.9 s, create ~1.1 s, reinstall 1.3-1.6 s, migrate/failover 1.4-1.6 s).
OP_DURATION_SHARE = {
    "OP_INSTANCE_CREATE": 1.5, "OP_INSTANCE_REINSTALL": 1.5, "OP_INSTANCE_MIGRATE": 2.0,
    "OP_INSTANCE_FAILOVER": 2.0, "OP_INSTANCE_REPLACE_DISKS": 2.0,
}
DEFAULT_OP_SHARE = 0.5


def timestamp(seconds=None):
    """Ganeti's [seconds, microseconds] pair."""
    seconds = time.time() if seconds is None else seconds
    return [int(seconds), int(round((seconds % 1) * 1e6)) % 1000000]


class Job:
    def __init__(self, job_id, ops, locks=()):
        self.id = job_id
        self.ops = ops
        self.locks = set(locks)
        self.status = "queued"
        self.opstatus = ["queued"] * len(ops)
        self.opresult = [None] * len(ops)
        self.oplog = [[] for _ in ops]
        self.received_ts = timestamp()
        self.start_ts = self.end_ts = None
        self.current = 0        # index of the running opcode
        self.due = None         # monotonic time of the next step
        self.apply = None       # the running opcode's change, applied when it ends

    @property
    def summary(self):
        return [summarize(op) for op in self.ops]

    def field(self, name):
        if name == "summary":
            return self.summary
        return getattr(self, name, None) if name in JOB_FIELDS else None

    def as_dict(self, fields=JOB_FIELDS):
        return {name: self.field(name) for name in fields}

    def log_entries(self, after_serial):
        return [entry for entries in self.oplog for entry in entries if entry[0] > (after_serial or 0)]

    def to_state(self):
        return self.as_dict()

    @classmethod
    def from_state(cls, data):
        job = cls(data["id"], data["ops"])
        for name in JOB_FIELDS:
            if name not in ("id", "ops", "summary"):
                setattr(job, name, data[name])
        return job


def summarize(op):
    """Ganeti's one-line opcode summary, e.g. INSTANCE_STARTUP(web1.example.com)."""
    what = op["OP_ID"][3:]
    for key in ("instance_name", "node_name", "group_name", "network_name"):
        if op.get(key):
            return "%s(%s)" % (what, op[key])
    return what  # e.g. TAGS_SET: Ganeti 3.0.2 names no object there


class JobQueue:
    def __init__(self, cluster, handlers, duration_ms, seed=0):
        self.cluster = cluster
        self.handlers = handlers            # OP_ID -> handler(job, op) -> apply() -> result
        self.duration = duration_ms / 1000.0
        self.rng = random.Random(seed)
        self.changed = threading.Condition(cluster.lock)
        self.jobs: dict[int, Job] = {}
        self.next_id = 1
        self.log_serial = 0
        self.held_locks: set = set()
        self.stopping = False
        self.thread = threading.Thread(target=self._run, name="ganetisim-jobs", daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        with self.changed:
            self.stopping = True
            self.changed.notify_all()
        self.thread.join(timeout=5)

    # -- persistence -------------------------------------------------------------------------------
    def to_state(self):
        """Finished jobs only: a pending job's simulated work does not survive a restart."""
        with self.changed:
            return {"next_job_id": self.next_id, "log_serial": self.log_serial,
                    "jobs": [job.to_state() for job in self.jobs.values() if job.status in FINALIZED]}

    def load_state(self, state):
        self.next_id = state["next_job_id"]
        self.log_serial = state["log_serial"]
        for data in state["jobs"]:
            self.jobs[data["id"]] = Job.from_state(data)

    def seed_finished(self, count, make_opcode, now=None):
        """`count` finished jobs of the last 6 hours (what Ganeti keeps before archiving), as a cluster
        that has been in use shows: instance actions and tag changes, most successful, some failed
        with Ganeti's errors (opresult ["OpPrereqError", [message, code]]), a few canceled before
        they ran. Deterministic for a seed; changes nothing in the cluster."""
        rng = random.Random(self.rng.random())
        names = sorted(self.cluster.instances) or ["gone.%s" % self.cluster.domain]
        nodes = sorted(self.cluster.nodes)
        now = time.time() if now is None else now
        start = now - 6 * 3600
        step = 6 * 3600 / max(count, 1)
        with self.changed:
            for index in range(count):
                name = rng.choice(names)
                kind = rng.choice(("startup", "shutdown", "reboot", "reboot", "tags", "migrate"))
                resource = {"startup": "instances_name_startup", "shutdown": "instances_name_shutdown",
                            "reboot": "instances_name_reboot", "tags": "instances_name_tags",
                            "migrate": "instances_name_migrate"}[kind]
                op_id = {"startup": "OP_INSTANCE_STARTUP", "shutdown": "OP_INSTANCE_SHUTDOWN",
                         "reboot": "OP_INSTANCE_REBOOT", "tags": "OP_TAGS_SET",
                         "migrate": "OP_INSTANCE_MIGRATE"}[kind]
                params = {"kind": "instance", "name": name, "tags": ["seeded"]} if kind == "tags" else {"instance_name": name}
                op = make_opcode(op_id, params, resource=resource, reason="ganetimgr:seed")
                job = Job(self.next_id, [op])
                self.next_id += 1
                received = start + index * step + rng.uniform(0, step / 2)
                job.received_ts = timestamp(received)
                for entry in op["reason"]:  # submitted then, not now
                    entry[2] = int(received * 1e9)
                # every 7th job fails and every 23rd is canceled, so that even a few jobs show both
                if index % 23 == 11:  # canceled while queued: never started
                    job.status, job.opstatus = "canceled", ["canceled"]
                    job.opresult = ["Job canceled by request"]
                    job.end_ts = timestamp(received + rng.uniform(0.1, 2))
                else:
                    started = received + rng.uniform(0.05, 0.5)
                    ended = started + rng.uniform(0.3, 1.6)
                    job.start_ts, job.end_ts = timestamp(started), timestamp(ended)
                    error = self._seed_error(kind, name, rng, nodes) if index % 7 == 3 else None
                    op["reason"].append(["gnt:opcode:%s" % op_id[3:].lower(), "job=%d;index=0" % job.id,
                                         int(received * 1e9)])
                    if error:
                        job.status, job.opstatus, job.opresult = "error", ["error"], [error.encode()]
                    else:
                        job.status, job.opstatus, job.opresult = "success", ["success"], [None]
                        if kind in ("startup", "reboot", "migrate"):
                            self.log_serial += 1
                            message = {"startup": "* starting instance...", "reboot": "* rebooting instance...",
                                       "migrate": "* checking disk consistency between source and target"}[kind]
                            job.oplog = [[[self.log_serial, timestamp(started + 0.1), "message", message]]]
                self.jobs[job.id] = job

    def _seed_error(self, kind, name, rng, nodes):
        if kind == "startup":
            node = rng.choice(nodes) if nodes else "node1"
            return OpError("Not enough memory on node %s for starting instance %s: needed %d MiB, available %d MiB"
                           % (node, name, rng.choice([2048, 4096, 8192]), rng.choice([256, 512, 1024])),
                           "insufficient_resources")
        if kind == "migrate":
            return OpError("Instance's disk layout 'plain' does not allow migrations", "wrong_input")
        if kind == "tags":
            return OpError("Tag contains invalid characters", "wrong_input")
        if kind == "shutdown":
            return OpError("Could not shutdown instance '%s': Error while executing backend function: "
                           "Failed to stop instance %s: timeout" % (name, name), kind="OpExecError")
        return OpError("Instance '%s' is marked to be down" % name, "wrong_state")

    # -- API ---------------------------------------------------------------------------------------
    def submit(self, ops, locks=()):
        """Queues a job of opcode dicts; returns its id."""
        with self.changed:
            job = Job(self.next_id, ops, locks)
            self.next_id += 1
            for index, op in enumerate(ops):
                op["reason"].append(["gnt:opcode:%s" % op["OP_ID"][3:].lower(), "job=%d;index=%d" % (job.id, index),
                                     time.time_ns()])
            job.due = time.monotonic() + self._jitter(self.duration * QUEUE_DELAY_SHARE)
            self.jobs[job.id] = job
            self.changed.notify_all()
            return job.id

    def get(self, job_id):
        return self.jobs.get(job_id)

    def cancel(self, job_id):
        """Ganeti's answer to DELETE /2/jobs/<id>: [success, message]."""
        with self.changed:
            job = self.jobs.get(job_id)
            if job is None:
                return [False, "Job %s not found in queue" % job_id]
            if job.status not in ("queued", "waiting"):
                return [False, "Job %s is no longer waiting in the queue" % job_id]
            job.opstatus = ["canceled"] * len(job.ops)
            job.opresult = ["Job canceled by request"] * len(job.ops)
            self._finalize(job, "canceled")
            return [True, "Job %s canceled" % job_id]

    def wait_for_change(self, job_id, fields, previous_info, previous_serial, timeout):
        """The long poll of /2/jobs/<id>/wait: the job's fields and new log entries as soon as either
        differs from what the caller saw (at once for a finished job), None after timeout; raises
        KeyError for an unknown job."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                job = self.jobs.get(job_id)
                if job is None:
                    raise KeyError(job_id)
                info = [job.field(name) for name in fields]
                entries = job.log_entries(previous_serial)
                if info != previous_info or entries or job.status in FINALIZED:
                    return {"job_info": info, "log_entries": entries}
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.changed.wait(remaining)

    def log(self, job, message, kind="message"):
        """Adds an entry to the running opcode's log, with a queue-wide serial as Ganeti does."""
        self.log_serial += 1
        job.oplog[job.current].append([self.log_serial, timestamp(), kind, message])

    # -- scheduler ---------------------------------------------------------------------------------
    def _jitter(self, seconds):
        return seconds * self.rng.uniform(0.75, 1.25)

    def _run(self):
        with self.changed:
            while not self.stopping:
                now = time.monotonic()
                for job in sorted((j for j in self.jobs.values() if j.status not in FINALIZED), key=lambda j: j.id):
                    if job.due is not None and job.due <= now:
                        self._step(job, now)
                # after the steps: they may have submitted jobs (node migrate/evacuate)
                dues = [j.due for j in self.jobs.values() if j.status not in FINALIZED and j.due is not None]
                self.changed.wait(max(min(dues) - time.monotonic(), 0) if dues else None)

    def _step(self, job, now):
        if job.status in ("queued", "waiting"):
            if job.locks & self.held_locks:
                if job.status == "queued":
                    job.status = "waiting"
                    job.opstatus = ["waiting"] * len(job.ops)
                    self.changed.notify_all()
                job.due = now + 0.05
                return
            self.held_locks |= job.locks
            job.status = "running"
            job.start_ts = timestamp()
            self._begin_op(job, now)
        elif job.status == "running":
            try:
                result = job.apply()
            except OpError as error:
                self._fail(job, error)
                return
            job.opstatus[job.current] = "success"
            job.opresult[job.current] = result
            if job.current + 1 < len(job.ops):
                job.current += 1
                self._begin_op(job, now)
            else:
                self._finalize(job, "success")
        self.changed.notify_all()

    def _begin_op(self, job, now):
        op = job.ops[job.current]
        job.opstatus[job.current] = "running"
        try:
            job.apply = self.handlers[op["OP_ID"]](job, op)
        except OpError as error:
            self._fail(job, error)
            return
        share = OP_DURATION_SHARE.get(op["OP_ID"], DEFAULT_OP_SHARE)
        job.due = now + self._jitter(self.duration * share)

    def _fail(self, job, error):
        job.opstatus[job.current] = "error"
        job.opresult[job.current] = error.encode()
        for index in range(job.current + 1, len(job.ops)):
            job.opstatus[index] = "error"
            job.opresult[index] = OpError("Preceding opcode failed", kind="OpExecError").encode()
        self._finalize(job, "error")

    def _finalize(self, job, status):
        job.status = status
        job.end_ts = timestamp()
        job.due = job.apply = None
        self.held_locks -= job.locks if job.start_ts else set()
        self.cluster.touch()
        self.changed.notify_all()
