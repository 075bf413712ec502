#!/usr/bin/env python3
"""smoke.py - exercise a real Ganeti RAPI (as started by up.sh).

ganetimgr's copy of /work/shared/real-ganeti/smoke.py (see README.md here).

Standard library only (urllib + ssl).  Prints PASS/FAIL per step with
timings and ends with a line "N passed, N failed"; exit status 1 if any
step failed.

  python3 smoke.py                        # https://198.51.100.100:5080
  python3 smoke.py --url https://127.0.0.1:5080 --template diskless
  python3 smoke.py --samples /tmp/samples # also save the JSON responses
"""
import argparse
import base64
import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.request

FINAL = ("success", "error", "canceled")


class Rapi:
    def __init__(self, url, user, password, timeout=30):
        self.url = url.rstrip("/")
        self.ctx = ssl._create_unverified_context()  # self-signed cluster cert
        token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        self.auth = "Basic " + token
        self.timeout = timeout

    def call(self, method, path, body=None, auth=True):
        """Returns (http_status, decoded_json_or_text, seconds)."""
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Accept": "application/json"}
        if data is not None or method in ("POST", "PUT"):
            # RAPI answers 415 to a body without this header
            headers["Content-Type"] = "application/json"
            if data is None:
                data = b""
        if auth:
            headers["Authorization"] = self.auth
        req = urllib.request.Request(self.url + path, data=data,
                                     method=method, headers=headers)
        t0 = time.monotonic()
        try:
            with urllib.request.urlopen(req, context=self.ctx,
                                        timeout=self.timeout) as resp:
                raw = resp.read()
                code = resp.status
        except urllib.error.HTTPError as err:
            raw = err.read()
            code = err.code
        dt = time.monotonic() - t0
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw.decode("utf-8", "replace")
        return code, payload, dt

    def wait_job(self, job_id, timeout=120):
        t0 = time.monotonic()
        while True:
            code, job, _ = self.call("GET", "/2/jobs/%s" % job_id)
            if code != 200:
                raise RuntimeError("GET /2/jobs/%s -> %s %s" % (job_id, code, job))
            if job["status"] in FINAL:
                return job, time.monotonic() - t0
            if time.monotonic() - t0 > timeout:
                raise RuntimeError("job %s still %s after %ss"
                                   % (job_id, job["status"], timeout))
            time.sleep(0.2)


class Smoke:
    def __init__(self, rapi, samples=None):
        self.rapi = rapi
        self.samples = samples
        self.passed = 0
        self.failed = 0
        self.timings = []
        if samples:
            os.makedirs(samples, exist_ok=True)

    def save(self, name, payload):
        if self.samples:
            with open(os.path.join(self.samples, name + ".json"), "w") as fh:
                json.dump(payload, fh, indent=1, sort_keys=True)

    def report(self, ok, step, dt, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        self.timings.append((step, dt))
        print("%s  %-55s %7.2fs  %s" % ("PASS" if ok else "FAIL", step, dt,
                                        detail), flush=True)
        return ok

    def get(self, path, check=None, sample=None):
        step = "GET " + path
        try:
            code, payload, dt = self.rapi.call("GET", path)
        except Exception as err:  # connection errors etc.
            return self.report(False, step, 0.0, repr(err)), None
        if sample:
            self.save(sample, payload)
        ok = code == 200
        detail = "http %s" % code
        if ok and check:
            try:
                extra = check(payload)
                detail += " " + (extra or "")
            except Exception as err:
                ok, detail = False, "%s check failed: %r" % (detail, err)
        elif not ok:
            detail += " " + str(payload)[:200]
        return self.report(ok, step, dt, detail), payload

    def job(self, method, path, body=None, expect="success", sample=None,
            label=None):
        """Submit a job-returning request and poll it to the end."""
        step = label or "%s %s" % (method, path)
        t0 = time.monotonic()
        try:
            code, payload, _ = self.rapi.call(method, path, body)
            if code != 200:
                return self.report(expect == "http-error", step,
                                   time.monotonic() - t0,
                                   "http %s %s" % (code, str(payload)[:200])), None
            job, _ = self.rapi.wait_job(payload)
        except Exception as err:
            return self.report(False, step, time.monotonic() - t0, repr(err)), None
        dt = time.monotonic() - t0
        if sample:
            self.save(sample, job)
        result = job.get("opresult")
        ok = job["status"] == expect
        detail = "job %s %s" % (job["id"], job["status"])
        if job["status"] != "success":
            detail += " " + json.dumps(result)[:300]
        return self.report(ok, step, dt, detail), job


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default=os.environ.get("GANETI_RAPI_URL",
                                                    "https://198.51.100.100:5080"))
    ap.add_argument("--user", default=os.environ.get("GANETI_RAPI_USER", "ganetimgr"))
    ap.add_argument("--password", default=os.environ.get("GANETI_RAPI_PASSWORD",
                                                         "ganetimgr-secret"))
    ap.add_argument("--ro-user", default=os.environ.get("GANETI_RAPI_RO_USER", "ganetimgr-ro"))
    ap.add_argument("--ro-password", default=os.environ.get("GANETI_RAPI_RO_PASSWORD",
                                                            "ganetimgr-ro-secret"))
    ap.add_argument("--template", default="file",
                    choices=["diskless", "file", "sharedfile"])
    ap.add_argument("--os", default="noop")
    ap.add_argument("--name", default="smoke-%d.ganeti.test" % os.getpid())
    ap.add_argument("--samples", help="directory to save JSON responses in")
    ap.add_argument("--keep", action="store_true",
                    help="do not delete the instance at the end")
    args = ap.parse_args()

    rapi = Rapi(args.url, args.user, args.password)
    s = Smoke(rapi, args.samples)
    name, new_name = args.name, args.name.replace("smoke-", "smoke-renamed-", 1)
    print("RAPI %s  user %s  instance %s (%s)" % (args.url, args.user, name,
                                                  args.template), flush=True)

    # ---- read-only endpoints
    s.get("/version", lambda v: "version %s" % v)
    s.get("/2/info", lambda i: "%s %s master=%s hv=%s" % (
        i["name"], i["software_version"], i["master"], i["enabled_hypervisors"]),
        sample="info")
    s.get("/2/features", lambda f: ",".join(f))
    s.get("/2/nodes?bulk=1", lambda n: "%d node(s): %s" % (
        len(n), ",".join(x["name"] for x in n)), sample="nodes_bulk")
    s.get("/2/instances?bulk=1", lambda n: "%d instance(s)" % len(n),
          sample="instances_bulk_before")
    s.get("/2/jobs", lambda j: "%d job(s)" % len(j), sample="jobs")
    s.get("/2/networks?bulk=1", lambda n: "%d network(s)" % len(n),
          sample="networks_bulk")
    s.get("/2/groups?bulk=1", lambda g: "%d group(s)" % len(g))
    _, oses = s.get("/2/os", lambda o: ",".join(o), sample="os")

    # ---- authentication is enforced (up.sh keeps --require-authentication)
    code, _, dt = rapi.call("GET", "/2/info", auth=False)
    s.report(code == 401, "GET /2/info without credentials -> 401", dt,
             "http %s" % code)
    # ---- the read-only user (up.sh writes it with "read") may read, not write
    ro = Rapi(args.url, args.ro_user, args.ro_password)
    code, _, dt = ro.call("GET", "/2/info")
    s.report(code == 200, "GET /2/info as read-only user -> 200", dt, "http %s" % code)
    code, _, dt = ro.call("PUT", "/2/instances/%s/startup" % name)
    s.report(code == 403, "PUT startup as read-only user -> 403", dt, "http %s" % code)

    # ---- leftovers from an interrupted earlier run
    for n in (name, new_name):
        code, _, _ = rapi.call("GET", "/2/instances/%s" % n)
        if code == 200:
            s.job("DELETE", "/2/instances/%s" % n, label="cleanup leftover %s" % n)

    # ---- create
    disks = [] if args.template == "diskless" else [{"size": 1024}]
    body = {
        "__version__": 1,
        "mode": "create",
        "name": name,
        "disk_template": args.template,
        "disks": disks,
        "nics": [{"link": "gnt-br0"}],
        "os_type": args.os,
        "pnode": None,
        "beparams": {"memory": 256, "vcpus": 1},
        "hypervisor": "fake",
        "name_check": False,   # the smoke names are not in /etc/hosts
        "ip_check": False,
        "start": True,
        "wait_for_sync": False,
        "tags": ["smoke"],
    }
    code, nodes, _ = rapi.call("GET", "/2/nodes")
    body["pnode"] = nodes[0]["id"] if code == 200 and nodes else None
    n_nodes = len(nodes) if code == 200 else 0
    ok, job = s.job("POST", "/2/instances", body, sample="job_instance_create",
                    label="POST /2/instances (create, %s)" % args.template)
    created = ok

    def inst_state(n):
        code, inst, _ = rapi.call("GET", "/2/instances/%s" % n)
        return inst if code == 200 else None

    if created:
        s.get("/2/instances/%s" % name, lambda i: "status=%s oper_state=%s" % (
            i["status"], i["oper_state"]), sample="instance")
        s.get("/2/instances?bulk=1", lambda n: "%d instance(s)" % len(n),
              sample="instances_bulk")
        s.get("/2/nodes?bulk=1", lambda n: "pinst_cnt=%s" % n[0]["pinst_cnt"],
              sample="nodes_bulk_after")

        # ---- power actions
        s.job("PUT", "/2/instances/%s/shutdown" % name)
        st = inst_state(name)
        s.report(st is not None and st["status"] == "ADMIN_down",
                 "  -> status after shutdown", 0.0, st and st["status"])
        s.job("PUT", "/2/instances/%s/startup" % name)
        st = inst_state(name)
        s.report(st is not None and st["status"] == "running",
                 "  -> status after startup", 0.0, st and st["status"])
        # reboot is POST in the RAPI (PUT answers 501)
        code, payload, dt = rapi.call("PUT", "/2/instances/%s/reboot" % name)
        s.report(code == 501, "PUT /2/instances/<n>/reboot -> 501 (use POST)",
                 dt, "http %s" % code)
        s.job("POST", "/2/instances/%s/reboot?type=soft" % name)
        s.job("POST", "/2/instances/%s/reboot?type=hard" % name)

        # ---- tags
        s.job("PUT", "/2/instances/%s/tags?tag=ganetimgr&tag=owner:alice" % name)
        s.get("/2/instances/%s/tags" % name, lambda t: ",".join(sorted(t)))
        s.job("DELETE", "/2/instances/%s/tags?tag=owner:alice" % name)

        # ---- console (fake hypervisor: kind "msg", no VNC/SPICE/SSH)
        s.get("/2/instances/%s/console" % name,
              lambda c: "kind=%s message=%r" % (c["kind"], c.get("message")),
              sample="console")

        # ---- info job, modify, reinstall
        ok, job = s.job("GET", "/2/instances/%s/info?static=0" % name,
                        label="GET /2/instances/<n>/info (job)")
        s.job("PUT", "/2/instances/%s/modify" % name,
              {"beparams": {"maxmem": 512, "minmem": 512}})
        # reinstall needs at least one disk (diskless -> OpPrereqError)
        s.job("POST", "/2/instances/%s/reinstall" % name,
              {"os": args.os, "start": True},
              expect="error" if args.template == "diskless" else "success",
              label="POST /2/instances/<n>/reinstall%s" % (
                  " (expected error, diskless)" if args.template == "diskless" else ""))
        if args.template == "diskless":
            # the failed reinstall job had already shut the instance down
            s.job("PUT", "/2/instances/%s/startup" % name)

        # ---- migrate: "file" never migrates; diskless/sharedfile need 2 nodes
        if args.template == "file" or n_nodes < 2:
            why = "file template" if args.template == "file" else "1 node"
            s.job("PUT", "/2/instances/%s/migrate" % name, expect="error",
                  label="PUT /2/instances/<n>/migrate (expected error, %s)" % why)
        else:
            s.job("PUT", "/2/instances/%s/migrate" % name)

        # ---- rename (instance must be stopped first)
        s.job("PUT", "/2/instances/%s/shutdown" % name)
        ok, _ = s.job("PUT", "/2/instances/%s/rename" % name,
                      {"new_name": new_name, "name_check": False,
                       "ip_check": False})
        current = new_name if ok else name
        s.get("/2/instances/%s" % current, lambda i: "name=%s" % i["name"])
        s.job("PUT", "/2/instances/%s/startup" % current)

        # ---- delete
        ok, job = s.job("DELETE", "/2/instances/%s" % current,
                        sample="job_instance_delete") if not args.keep else (True, None)
        if not args.keep:
            code, _, dt = rapi.call("GET", "/2/instances/%s" % current)
            s.report(code == 404, "GET deleted instance -> 404", dt,
                     "http %s" % code)

    # ---- placement by the default iallocator (hail), no pnode given: this
    # is how ganetimgr-style frontends usually create instances
    ial_name = name.replace("smoke-", "smoke-ial-", 1)
    body = dict(body, name=ial_name, pnode=None, start=False, tags=[])
    del body["pnode"]
    ok, job = s.job("POST", "/2/instances", body,
                    label="POST /2/instances (create, default iallocator)")
    if ok:
        s.job("DELETE", "/2/instances/%s" % ial_name)

    # ---- two-node cluster (GANETI_NODES=2 ./up.sh): migrate and failover
    if n_nodes >= 2:
        mig = name.replace("smoke-", "smoke-mig-", 1)
        body = dict(body, name=mig, disk_template="sharedfile",
                    disks=[{"size": 1024}], start=True)
        ok, _ = s.job("POST", "/2/instances", body,
                      label="POST /2/instances (create, sharedfile, 2 nodes)")
        if ok:
            def pnode():
                return rapi.call("GET", "/2/instances/%s" % mig)[1]["pnode"]
            for how, path, body_ in (
                    ("live", "migrate", {"mode": "live"}),
                    ("non-live", "migrate", {"mode": "non-live"}),
                    ("", "failover", None)):
                before = pnode()
                ok, _ = s.job("PUT", "/2/instances/%s/%s" % (mig, path), body_,
                              label="PUT /2/instances/<n>/%s %s" % (path, how))
                after = pnode()
                s.report(ok and after != before,
                         "  -> primary node moved", 0.0,
                         "%s -> %s" % (before, after))
            s.job("DELETE", "/2/instances/%s" % mig)
    else:
        print("(single node: migrate/failover section skipped;"
              " GANETI_NODES=2 ./up.sh adds node2)")

    s.get("/2/jobs?bulk=1", lambda j: "%d job(s)" % len(j))

    total = sum(dt for _, dt in s.timings)
    create = [dt for st, dt in s.timings if st.startswith("POST /2/instances (")]
    print("timings: total %.1fs%s" % (
        total, ", instance create job %.2fs" % create[0] if create else ""))
    print("%d passed, %d failed" % (s.passed, s.failed))
    return 1 if s.failed else 0


if __name__ == "__main__":
    sys.exit(main())
