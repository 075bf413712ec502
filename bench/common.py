"""Pieces more than one benchmark uses: a process's resident memory, and how long an approved
application took to reach the cluster as a create request."""

import time
from pathlib import Path


def rss_mb(pid: int | str = "self") -> float:
    """VmRSS of process `pid` (this one by default), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def creation_delay(sim, application, approved_at: float, *, timeout: float = 30) -> float:
    """Seconds from `approved_at` (a time.time()) until the watcher's create request for `application`
    reached the simulator `sim` (the job's received_ts), once the creation has ended: the watcher is idle
    again when this returns, and the application is created (else AssertionError)."""
    # Imported here: the benchmarks set up Django (settings, database) before anything imports a model.
    from apply.models import ApplicationStatus

    deadline = time.monotonic() + timeout
    while not application.job_id:
        assert time.monotonic() < deadline, f"the watcher sent no create request for {application.hostname}"
        time.sleep(0.01)
        application.refresh_from_db()
    _status, job = sim.request("GET", f"/2/jobs/{application.job_id}")
    seconds, micro = job["received_ts"]
    while application.status == ApplicationStatus.SUBMITTED:
        assert time.monotonic() < deadline + timeout, f"the creation of {application.hostname} did not end"
        time.sleep(0.05)
        application.refresh_from_db()
    assert application.status == ApplicationStatus.SUCCESS, application.backend_message
    return seconds + micro / 1e6 - approved_at
