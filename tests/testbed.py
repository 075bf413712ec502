"""The real Ganeti 3.0 testbed (contrib/ganeti-testbed) as a pytest resource, for any suite.

`ganeti_testbed` (session scope) runs up.sh the first time a test asks for it and down.sh (without
--purge, so the next run is a ~4 s restart) at the end of the run. When the testbed cannot start
(not root, no network namespaces, the Debian mirror unreachable, ...) every test that asks for it
is skipped with up.sh's one-line reason, and `report_testbed()` (called from a
pytest_terminal_summary hook) says so loudly at the end.

GANETI_TESTBED: unset/"on" = as above; "off" = do not start it, skip those tests; "keep" = start it
when needed but leave it running at the end (quicker local iterations).
A testbed that was already up before the run (a developer ran up.sh) is used and left up.
Test runs may overlap (several engineers, one machine): each run holds a shared lock while it uses
the testbed, and the last one out runs down.sh; up.sh and down.sh never run at the same time.

Tests that need the testbed carry the `real_ganeti` marker and ask for the fixture (directly or
through another fixture, as the contract suite's `rapi` does); `testbed_cluster` is a Cluster row for it.
This module is a pytest plugin of the whole test tree (pytest_plugins in tests/conftest.py): its fixtures
and its pytest_terminal_summary hook reach every suite; never import the fixtures by name.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import urllib3

from tests.helpers import PROJECT_DIR

TESTBED_DIR = PROJECT_DIR / "contrib" / "ganeti-testbed"
RAPI_HOST = "127.0.0.1"
# up.sh's loopback forwarder; RAPI_LOOPBACK_PORT moves it (for up.sh and for us alike).
RAPI_PORT = int(os.environ.get("RAPI_LOOPBACK_PORT") or 5080)
USERNAME, PASSWORD = "ganetimgr", "ganetimgr-secret"                 # "write"
READONLY_USERNAME, READONLY_PASSWORD = "ganetimgr-ro", "ganetimgr-ro-secret"   # "read"
# A fresh machine downloads and installs 26 packages and initialises a cluster: ~30 s, but apt
# can be slow; up.sh itself gives apt 120 + 600 s at most.
UP_TIMEOUT = 900
DOWN_TIMEOUT = 180
# Held shared by every run using the testbed / exclusively around up.sh and down.sh.
LOCK_DIR = Path("/run/lock") if os.access("/run/lock", os.W_OK) else Path(tempfile.gettempdir())
USERS_LOCK = LOCK_DIR / "ganetimgr-testbed.users.lock"
OPS_LOCK = LOCK_DIR / "ganetimgr-testbed.ops.lock"


@dataclass
class Testbed:
    available: bool
    reason: str = ""                  # why it is not available: up.sh's last line
    host: str = RAPI_HOST
    port: int = RAPI_PORT
    username: str = USERNAME
    password: str = PASSWORD
    readonly_username: str = READONLY_USERNAME
    readonly_password: str = READONLY_PASSWORD
    bring_up_seconds: float | None = None
    was_up: bool = False              # already running before this test run: leave it running
    log: Path | None = None
    stopped: str = ""                 # what happened at the end ("down.sh: ok in 2.1 s", ...)
    users_lock: object = None         # our shared lock on USERS_LOCK while we use it

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"


# The one testbed of this pytest run, for the terminal summary (fixtures cannot reach that hook).
_run: dict = {"testbed": None, "reported": False}


def _mode() -> str:
    mode = os.environ.get("GANETI_TESTBED", "on").strip().lower() or "on"
    if mode not in ("on", "off", "keep"):
        raise pytest.UsageError(f"GANETI_TESTBED must be on, off or keep, not {mode!r}")
    return mode


def _answers(url: str) -> bool:
    """Whether an authenticated GET /2/info works: the testbed is up already."""
    # verify=False: the cluster's certificate is self-signed; this only probes liveness.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
        try:
            return requests.get(f"{url}/2/info", auth=(USERNAME, PASSWORD), verify=False, timeout=3).status_code == 200
        except requests.RequestException:
            return False


def _last_line(text: str) -> str:
    """up.sh ends a failure with one line "up.sh: cannot start the Ganeti testbed: <reason>"."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("up.sh:"):
            return line
    return lines[-1] if lines else "no output"


def _lock(path: Path, mode: int):
    """An open file holding flock `mode` on path (blocking unless mode has LOCK_NB), or None."""
    handle = path.open("a")
    try:
        fcntl.flock(handle, mode)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def start_testbed(log_dir: Path) -> Testbed:
    """Run up.sh (idempotent) and say whether the testbed can be used, and how long it took."""
    if _mode() == "off":
        return Testbed(available=False, reason="GANETI_TESTBED=off")
    with _lock(OPS_LOCK, fcntl.LOCK_EX):   # not while another run's down.sh stops it
        alone = _lock(USERS_LOCK, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if alone:
            alone.close()
        # up while another run uses it: that run's, so the last run out stops it as usual
        testbed = _up(log_dir, up_before_means_developer=alone is not None)
        if testbed.available:
            testbed.users_lock = _lock(USERS_LOCK, fcntl.LOCK_SH)
    return testbed


def _up(log_dir: Path, up_before_means_developer: bool) -> Testbed:
    log = log_dir / "ganeti-testbed-up.log"
    was_up = up_before_means_developer and _answers(Testbed(available=False).url)
    started = time.monotonic()
    try:
        result = subprocess.run(["bash", str(TESTBED_DIR / "up.sh")], capture_output=True, text=True,
                                timeout=UP_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        log.write_text(f"{exc.stdout or ''}\n{exc.stderr or ''}")
        return Testbed(available=False, reason=f"up.sh did not finish within {UP_TIMEOUT} s (log: {log})", log=log)
    seconds = time.monotonic() - started
    log.write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        return Testbed(available=False, reason=f"{_last_line(result.stderr or result.stdout)} (log: {log})",
                       log=log, bring_up_seconds=seconds)
    return Testbed(available=True, bring_up_seconds=seconds, was_up=was_up, log=log)


def stop_testbed(testbed: Testbed) -> None:
    """down.sh (keeping the cluster), unless the testbed was up before the run, GANETI_TESTBED=keep,
    or another run still uses it."""
    if not testbed.available:
        return
    testbed.users_lock.close()   # releases our shared lock
    if testbed.was_up or _mode() == "keep":
        why = "it was up before this run" if testbed.was_up else "GANETI_TESTBED=keep"
        testbed.stopped = f"left running ({why})"
        return
    with _lock(OPS_LOCK, fcntl.LOCK_EX):
        last_user = _lock(USERS_LOCK, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if last_user is None:
            testbed.stopped = "left running (another test run is using it)"
            return
        with last_user:
            _down(testbed)


def _down(testbed: Testbed) -> None:
    started = time.monotonic()
    try:
        result = subprocess.run(["bash", str(TESTBED_DIR / "down.sh")], capture_output=True, text=True,
                                timeout=DOWN_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        testbed.stopped = f"down.sh did not finish within {DOWN_TIMEOUT} s"
        return
    with testbed.log.open("a") as log:
        log.write(result.stdout + result.stderr)
    outcome = "ok" if result.returncode == 0 else f"FAILED (exit {result.returncode}, log: {testbed.log})"
    testbed.stopped = f"down.sh {outcome} in {time.monotonic() - started:.1f} s"


@pytest.fixture(scope="session")
def ganeti_testbed(tmp_path_factory) -> Testbed:
    """The running testbed; skips the test (with up.sh's reason) when it cannot start."""
    testbed = _run["testbed"]
    if testbed is None:
        testbed = _run["testbed"] = start_testbed(tmp_path_factory.mktemp("ganeti-testbed"))
    if not testbed.available:
        pytest.skip(f"real Ganeti testbed unavailable: {testbed.reason}")
    yield testbed
    stop_testbed(testbed)


@pytest.fixture
def testbed_cluster(ganeti_testbed, db):
    """The testbed as an administrator adds it: a saved Cluster (slug "testbed") reaching it as the write
    user, its certificate pinned (trust on first use)."""
    from ganeti.models import Cluster
    from ganeti.services import cluster_pin_certificate, cluster_save

    cluster = cluster_save(cluster=Cluster(hostname=ganeti_testbed.host, port=ganeti_testbed.port, slug="testbed",
                                           description="The Ganeti testbed", username=ganeti_testbed.username),
                           new_password=ganeti_testbed.password)
    cluster_pin_certificate(cluster=cluster)
    assert cluster.tls_fingerprint
    return cluster


def pytest_terminal_summary(terminalreporter):
    report_testbed(terminalreporter)


def report_testbed(terminalreporter) -> None:
    """The end-of-run lines about the testbed: loud when real_ganeti tests were skipped for want of it."""
    testbed = _run["testbed"]
    if testbed is None or _run["reported"]:
        return
    _run["reported"] = True
    write = terminalreporter.write_line
    if testbed.available:
        how = "it was already up" if testbed.was_up else "brought up"
        write(f"ganeti testbed: {how}, up.sh took {testbed.bring_up_seconds:.1f} s; at the end: "
              f"{testbed.stopped or 'not stopped'}; log {testbed.log}")
        return
    skipped = sum(1 for report in terminalreporter.stats.get("skipped", [])
                  if "real_ganeti" in getattr(report, "keywords", {}))
    deliberate = testbed.reason == "GANETI_TESTBED=off"
    title = "REAL GANETI TESTBED NOT USED" if deliberate else "WARNING: REAL GANETI TESTBED UNAVAILABLE"
    terminalreporter.write_sep("=", title, red=not deliberate, yellow=deliberate, bold=True)
    write(f"{skipped} test(s) marked real_ganeti were SKIPPED: only the simulator was tested against.",
          red=not deliberate, bold=True)
    write(f"reason: {testbed.reason}")
    if not deliberate:
        if testbed.bring_up_seconds is not None:
            write(f"up.sh gave up after {testbed.bring_up_seconds:.1f} s.")
        write("The testbed needs root, network namespaces and the Debian mirror; see contrib/ganeti-testbed/README.md.")
        write("GANETI_TESTBED=off skips it on purpose (and quietens this warning).")
    terminalreporter.write_sep("=", red=not deliberate, yellow=deliberate, bold=True)
