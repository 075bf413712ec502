"""Helpers for the watcher's CREATE tests (the fixtures are in tests/apply/conftest.py)."""

import queue as queue_module
import time

from tests.mail import ADMIN_ADDRESS

__all__ = ["ADMIN_ADDRESS", "wait_status", "drain", "creates_sent", "instances_named"]


def wait_status(application, statuses=("success", "failed"), timeout=60, output=None):
    """Reload the application until its status is one of `statuses`."""
    deadline = time.monotonic() + timeout
    while True:
        application.refresh_from_db()
        if application.status in statuses:
            return application
        if time.monotonic() > deadline:
            log = drain(output) if output else ""
            raise AssertionError(f"application #{application.pk} still {application.status} after {timeout}s\n{log}")
        time.sleep(0.1)


def drain(output) -> str:
    """Everything the process printed so far (without waiting)."""
    while True:
        try:
            line = output._queue.get_nowait()
        except queue_module.Empty:
            break
        if line is None:
            break
        output.lines.append(line)
    return "".join(output.lines)


def creates_sent(sim) -> int:
    """How many create requests (POST /2/instances) the simulator received."""
    return sum(count for key, count in sim.control("GET", "stats")["requests"].items()
               if key.startswith("POST") and key.rstrip("/").endswith("/2/instances"))


def instances_named(sim, hostname) -> list[dict]:
    instances = sim.state()["cluster"]["instances"]
    if isinstance(instances, dict):
        return [inst for name, inst in instances.items() if name == hostname]
    return [inst for inst in instances if inst.get("name") == hostname]

