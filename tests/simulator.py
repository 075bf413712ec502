"""Start ganetisim (the Ganeti RAPI simulator) as a real subprocess for tests, and talk to it.

    sim = start_simulator(tmp_path, instances=5, owners="alice")   # waits for the listening line
    status, payload = sim.request("GET", "/2/info")
    sim.set_faults(mode="error502")
    sim.stop()

Use the `simulators` fixture (tests/ganetisim/conftest.py) or `with start_simulator(...) as sim:` so
that the process is stopped whatever the test does.
"""

import base64
import json
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.helpers import PROJECT_DIR, PYTHON, OutputReader

# name -> (password, users-file options)
DEFAULT_USERS = {"writer": ("writer-secret", "write"), "reader": ("reader-secret", "read")}
FINISHED = ("success", "error", "canceled")


class SimulatorProcess:
    def __init__(self, process, output, url, fingerprint, users, state_path):
        self.process = process
        self.output = output
        self.url = url
        self.port = int(url.rsplit(":", 1)[1])
        self.fingerprint = fingerprint
        self.users = users
        self.state_path = state_path
        self.tls_context = ssl._create_unverified_context()  # the simulator's certificate is self-signed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self, timeout=15):
        """SIGTERM (the simulator saves its --state file), wait; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def auth_header(self, user):
        password = self.users[user][0]
        return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def request(self, method, path, body=None, *, user="writer", headers=None, data=None, timeout=20):
        """(status, decoded JSON or raw text); `data` sends raw bytes instead of JSON."""
        status, _headers, payload = self.request_full(method, path, body, user=user, headers=headers, data=data,
                                                      timeout=timeout)
        return status, payload

    def request_full(self, method, path, body=None, *, user="writer", headers=None, data=None, timeout=20):
        all_headers = {}
        if body is not None:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        if user:
            all_headers["Authorization"] = self.auth_header(user)
        all_headers.update(headers or {})
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(req, context=self.tls_context, timeout=timeout) as response:
                status, response_headers, raw = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, response_headers, raw = error.code, error.headers, error.read()
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = raw.decode("utf-8", "replace")
        return status, response_headers, payload

    def control(self, method, action, body=None):
        status, payload = self.request(method, "/__ganetisim__/" + action, body, user=None)
        assert status == 200, (status, payload)
        return payload

    def set_faults(self, **settings):
        """mode (None, "timeout", "error500", "error502", "garbage", "drop"), latency_ms, paths, hold_s."""
        return self.control("PUT", "faults", settings)

    def state(self):
        return self.control("GET", "state")

    def wait_job(self, job_id, timeout=30):
        """The finished job (polling /2/jobs/<id>)."""
        deadline = time.monotonic() + timeout
        while True:
            status, job = self.request("GET", f"/2/jobs/{job_id}")
            assert status == 200, job
            if job["status"] in FINISHED:
                return job
            assert time.monotonic() < deadline, f"job {job_id} still {job['status']} after {timeout}s"
            time.sleep(0.02)

    def run_job(self, method, path, body=None, **kwargs):
        """Submits a job-returning request and waits for the job."""
        status, job_id = self.request(method, path, body, **kwargs)
        assert status == 200 and isinstance(job_id, int), (status, job_id)
        return self.wait_job(job_id)


def write_users_file(path: Path, users) -> Path:
    path.write_text("# ganetisim users (name password options)\n" + "".join(
        f"{name} {{cleartext}}{password} {options}\n" for name, (password, options) in users.items()))
    return path


def start_simulator(tmp_path, *, users=DEFAULT_USERS, tls=True, state=None, timeout=30, **options):
    """Starts `python -m ganetisim --port 0` with the given options (underscores for dashes, True for
    flags) and a users file; returns once it listens. Defaults: fast jobs (50 ms scale), 5 instances."""
    options = {"job_duration_ms": 50, "instances": 5, **options}
    args = [PYTHON, "-m", "ganetisim", "--port", "0"]
    if tls:
        args.append("--tls")
    if users is not None:
        args += ["--users-file", str(write_users_file(Path(tmp_path) / f"users-{time.monotonic_ns()}", users))]
    if state is not None:
        args += ["--state", str(state)]
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            args.append(flag)
        elif value not in (False, None):
            args += [flag, str(value)]
    process = subprocess.Popen(args, cwd=PROJECT_DIR, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = OutputReader(process)
    try:
        printed = output.until("ganetisim: listening on ", timeout=timeout)
    except AssertionError:
        process.kill()
        process.wait()
        raise
    url = printed.rsplit("listening on ", 1)[1].split()[0]
    fingerprint = None
    if "fingerprint " in printed:
        fingerprint = printed.split("fingerprint ", 1)[1].split()[0]
    return SimulatorProcess(process, output, url, fingerprint, users or {}, state)
