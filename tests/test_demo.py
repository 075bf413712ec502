"""The README's first command: scripts/demo.sh (what `make demo` runs) serves a working site."""

import base64
import contextlib
import http.cookiejar
import json
import os
import re
import signal
import sqlite3
import ssl
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from tests.console_services import vnc_network
from tests.helpers import PROJECT_DIR, OutputReader, free_port, port_open

pytestmark = [pytest.mark.integration, pytest.mark.slow]


class Browser:
    """Just enough of a browser: cookies, CSRF token from the form, no automatic redirects."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  _NoRedirect())

    def get(self, path, follow=False):
        status, headers, body = self._open(urllib.request.Request(self.base + path))
        if follow and status in (301, 302):
            return self.get(headers["Location"], follow=True)
        return status, headers, body

    def post(self, path, data):
        body = urllib.parse.urlencode(data).encode()
        return self._open(urllib.request.Request(self.base + path, data=body, headers={"Referer": self.base + path}))

    def _open(self, request):
        try:
            with self.opener.open(request, timeout=20) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()

    def log_in(self, username, password):
        _status, _headers, page = self.get("/user/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        return self.post("/user/login/", {"csrfmiddlewaretoken": token, "username": username, "password": password,
                                          "next": "/"})


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def demos():
    """Starts demos; whatever happens in the test, kills what is left of them afterwards."""
    started = []

    def start(tmp_path, ports):
        process = start_demo(tmp_path, ports)
        started.append(process)
        return process

    yield start
    for process in started:
        if _group_alive(process.pid, patience=0):
            os.killpg(process.pid, signal.SIGKILL)


def start_demo(tmp_path, ports):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update({"DEMO_VAR_DIR": str(tmp_path / "var"), "DEMO_PORT": str(ports[0]),
                "DEMO_REDIS_PORT": str(ports[1]), "DEMO_BEANSTALK_PORT": str(ports[2]),
                "DEMO_SIM_PORT": str(ports[3]),
                # console: websockify and the VNC screens away from a demo that may run here
                "DEMO_WEBSOCKIFY_PORT": str(free_port()), "DEMO_VNC_NETWORK": vnc_network()})
    # As from a terminal: SIGINT at its default (the test runner may have inherited it ignored, and bash
    # cannot trap a signal ignored on entry), in a session of its own so that cleanup can kill the group.
    return subprocess.Popen(["scripts/demo.sh"], cwd=PROJECT_DIR, env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def stop_demo(process, output):
    """Ctrl-C; returns the exit status, what it printed and whether any process of the demo outlived it."""
    process.send_signal(signal.SIGINT)
    printed = output.rest(timeout=60)
    process.wait(timeout=10)
    return process.returncode, printed, _group_alive(process.pid)


def demo_cluster(tmp_path):
    with contextlib.closing(sqlite3.connect(tmp_path / "var" / "ganetimgr.sqlite3")) as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM ganeti_cluster WHERE slug = 'demo'").fetchone()
    assert row is not None, "the demo did not register its simulated cluster"
    return dict(row)


def rapi_get(port, path, password):
    """The decoded answer, or the HTTP status of an error."""
    return _rapi("GET", port, path, password)


def rapi_put(port, path, password):
    job_id = _rapi("PUT", port, path, password)
    for _ in range(200):
        if _rapi("GET", port, f"/2/jobs/{job_id}", password)["status"] == "success":
            return
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not succeed")


def _rapi(method, port, path, password):
    headers = {}
    if password:
        headers["Authorization"] = "Basic " + base64.b64encode(f"ganetimgr:{password}".encode()).decode()
    request = urllib.request.Request(f"https://127.0.0.1:{port}{path}", method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, context=ssl._create_unverified_context(), timeout=20) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code


def _group_alive(pgid, patience=50):
    for _ in range(max(patience, 1)):  # zombies of the group may wait a moment for the reaper
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        if all(_is_zombie(pid) for pid in _group_members(pgid)):
            return False
        time.sleep(0.1)
    return True


def _group_members(pgid):
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(ProcessLookupError):  # gone since listdir
                if os.getpgid(int(entry)) == pgid:
                    members.append(int(entry))
    return members


def _is_zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_demo_serves_the_login_page_and_the_printed_accounts_work(tmp_path, demos):
    ports = [free_port(), free_port(), free_port(), free_port()]
    demo = demos(tmp_path, ports)
    output = OutputReader(demo)
    banner = output.until("Ctrl-C stops it", timeout=240)
    admin = re.search(r"^admin login: (\S+) / (\S+)$", banner, re.M)
    user = re.search(r"^user login: (\S+) / (\S+)$", banner, re.M)
    assert admin and user, banner
    base = f"http://127.0.0.1:{ports[0]}"
    assert f"running at {base}/" in banner

    status, _headers, page = Browser(base).get("/user/login/")
    assert status == 200 and "Log in to ganetimgr" in page

    as_admin = Browser(base)
    status, headers, _ = as_admin.log_in(*admin.groups())
    assert status == 302 and headers["Location"] == "/"
    status, _headers, page = as_admin.get("/admin/")
    assert status == 200 and "ganetimgr administration" in page

    as_user = Browser(base)
    assert as_user.log_in(*user.groups())[0] == 302
    status, _headers, page = as_user.get("/")
    assert status == 200 and f"Welcome, {user.group(1)}" in page
    assert as_user.get("/admin/", follow=True)[0] == 403  # not staff

    # static files are served by gunicorn (WhiteNoise), hashed after collectstatic
    css = re.search(r'href="(/static/vendor/bootstrap-5\.3\.9/css/bootstrap\.min\.[0-9a-f]+\.css)"', page)
    assert css and as_user.get(css.group(1))[0] == 200
    assert as_user.get("/health/")[0] == 200

    # the simulated cluster is registered, with its password stored encrypted, and answers with it
    cluster = demo_cluster(tmp_path)
    assert cluster["hostname"] == "127.0.0.1" and cluster["port"] == ports[3]
    assert cluster["description"] == "Demo cluster (simulated)" and cluster["username"] == "ganetimgr"
    password = (tmp_path / "var" / "ganetisim" / "rapi-password").read_text().strip()
    assert password and password not in cluster["password_encrypted"]
    assert f"https://127.0.0.1:{ports[3]}/" in banner
    instances = rapi_get(ports[3], "/2/instances?bulk=1", password)
    assert len(instances) == 30

    # -- clusters, nodes, jobs: the helpdesk account sees the jobs, a failed one with Ganeti's reason
    helpdesk = re.search(r"^helpdesk login: (\S+) / (\S+)$", banner, re.M)
    assert helpdesk, banner
    as_helpdesk = Browser(base)
    assert as_helpdesk.log_in(*helpdesk.groups())[0] == 302
    status, _headers, page = as_helpdesk.get("/jobs/json/?status=error")
    failed = json.loads(page)["rows"]
    assert status == 200 and failed, page
    status, _headers, page = as_helpdesk.get(failed[0]["detail_url"])
    assert status == 200 and 'id="job-failure"' in page
    assert as_helpdesk.get("/cluster/detail/?cluster=demo")[0] == 200
    assert as_user.get("/jobs/")[0] == 403
    # -- end clusters, nodes, jobs
    assert any("ganetimgr:user:demo" in i["tags"] for i in instances)
    assert any(not i["tags"] for i in instances)
    assert rapi_get(ports[3], "/2/instances", password=None) == 401  # Debian's --require-authentication
    owned = next(i["name"] for i in instances if "ganetimgr:user:demo" in i["tags"])
    rapi_put(ports[3], f"/2/instances/{owned}/tags?tag=kept-across-runs", password)

    returncode, printed, survivors = stop_demo(demo, output)
    assert returncode == 0, printed
    assert "demo: stopped" in printed
    assert not survivors, "a process of the demo outlived Ctrl-C"
    assert not any(port_open(port) for port in ports), "a demo service still listens after Ctrl-C"

    # A second run reuses what the first set up: same accounts and passwords; the first session holds.
    demo = demos(tmp_path, ports)
    output = OutputReader(demo)
    banner_again = output.until("Ctrl-C stops it", timeout=240)
    assert admin.group(0) in banner_again and user.group(0) in banner_again
    assert "setup: installing" not in banner_again
    status, _headers, page = as_user.get("/")
    assert status == 200 and f"Welcome, {user.group(1)}" in page
    again = demo_cluster(tmp_path)
    assert (again["id"], again["port"]) == (cluster["id"], ports[3])  # updated, not added
    tagged = {i["name"]: i["tags"] for i in rapi_get(ports[3], "/2/instances?bulk=1", password)}
    assert "kept-across-runs" in tagged[owned]  # the simulator's --state file
    returncode, printed, survivors = stop_demo(demo, output)
    assert returncode == 0 and not survivors, printed
