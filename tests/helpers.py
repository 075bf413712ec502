"""Helpers for tests that run ganetimgr's programs as subprocesses."""

import queue
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

PROJECT_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def database_url(db: dict) -> str:
    """DATABASE_URL for a child process, from a settings.DATABASES entry (the test database once
    pytest-django has made it)."""
    assert "postgresql" in db["ENGINE"], "the watcher tests need PostgreSQL (make test)"
    return f"postgres://{quote(db['USER'])}:{quote(db['PASSWORD'])}@{db['HOST']}:{db['PORT']}/{quote(db['NAME'])}"


def run_manage(*args, env, timeout=60):
    return subprocess.run([PYTHON, "manage.py", *args], cwd=PROJECT_DIR, env=env, capture_output=True,
                          text=True, timeout=timeout)


class OutputReader:
    """Reads a child's (text) stdout in a thread, so that waiting for a line can time out."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.lines: list[str] = []
        self._queue: queue.Queue = queue.Queue()
        self._ended = False
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.process.stdout:
            self._queue.put(line)
        self._queue.put(None)

    def until(self, text: str, timeout: float = 30) -> str:
        """Lines read until one contains text (all of them, joined); AssertionError after timeout."""
        seen = []
        deadline = time.monotonic() + timeout
        while not self._ended:
            try:
                line = self._queue.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                break
            if line is None:
                self._ended = True
                break
            seen.append(line)
            self.lines.append(line)
            if text in line:
                return "".join(seen)
        raise AssertionError(f"{text!r} not printed within {timeout}s; output so far:\n{''.join(self.lines)}")

    def rest(self, timeout: float = 60) -> str:
        """Everything printed from now until the child closes its output."""
        seen = []
        deadline = time.monotonic() + timeout
        while not self._ended:
            line = self._queue.get(timeout=max(deadline - time.monotonic(), 0.01))
            if line is None:
                self._ended = True
            else:
                seen.append(line)
                self.lines.append(line)
        return "".join(seen)


def add_cluster(sim, slug, *, port=None, password=None, pinned=True):
    """A saved Cluster reaching the simulator `sim` as its write user (tests/simulator.py), its certificate pinned."""
    from ganeti.models import Cluster
    from ganeti.services import cluster_save

    cluster = Cluster(hostname="127.0.0.1", port=port or sim.port, slug=slug, description=f"Cluster {slug}",
                      username="writer", tls_fingerprint=sim.fingerprint if pinned else "")
    return cluster_save(cluster=cluster, new_password=password or sim.users["writer"][0])


def submit_login(page, username, password):
    """Fill in and send the login form the (Playwright) page shows."""
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("#content button[type=submit]").click()


def log_in(page, url, username, password):
    """Open the login page of the live server at url and log in."""
    page.goto(url + "/user/login/")
    submit_login(page, username, password)
