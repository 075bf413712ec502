"""Watcher handlers of the ganeti app: JOB follows a job submitted for an instance to its end."""

import logging
import time

from ganetimgr.worker import BadMessage, Retry, handles

from .models import Cluster
from .rapi.client import FINALIZED_JOB_STATUSES, GanetiApiError
from .rapi.connection import client_for
from .services import instance_job_finished

log = logging.getLogger(__name__)

# One message follows its job this long (long polls of ~10 s each) before it comes back later
# through Retry: a job waiting for a busy cluster's locks does not hold a watcher greenlet for hours.
FOLLOW_SECONDS = 300


@handles("JOB")
def follow_instance_job(message: dict) -> None:
    """{"type": "JOB", "cluster": slug, "job_id": n, "instance": name, "action": action}: wait for the
    job's end (Ganeti's long poll), then release the instance's lock, mark the snapshots outdated and
    record the outcome. A cluster that does not answer sends the message back (Retry), never loses it."""
    try:
        slug, job_id, instance_name = message["cluster"], int(message["job_id"]), message["instance"]
    except (KeyError, TypeError, ValueError) as exc:
        raise BadMessage(f"JOB message without cluster, job_id or instance: {exc}") from None
    cluster = Cluster.objects.filter(slug=slug).first()
    if cluster is None:
        log.warning("JOB %s: cluster %s is gone; nothing to follow", job_id, slug)
        return
    try:
        job = _wait(client_for(cluster), job_id)
    except GanetiApiError as exc:
        raise Retry(f"cluster {slug}: {exc}", delay=15) from exc
    if job is None:
        raise Retry(f"job {slug}/{job_id} still running", delay=5)
    instance_job_finished(cluster=cluster, instance_name=instance_name, job=job, action=message.get("action", ""))
    log.info("JOB %s/%s (%s %s) ended: %s", slug, job_id, message.get("action"), instance_name, job["status"])


def _wait(client, job_id: int) -> dict | None:
    """The ended job, or None if it is still running after FOLLOW_SECONDS."""
    deadline = time.monotonic() + FOLLOW_SECONDS
    previous = None
    while True:
        job = client.get_job(job_id)
        if job["status"] in FINALIZED_JOB_STATUSES:
            return job
        if time.monotonic() > deadline:
            return None
        try:
            change = client.wait_for_job_change(job_id, ["status"], previous_job_info=previous)
        except GanetiApiError as exc:
            if exc.code not in (401, 403, 404, 501):
                raise
            time.sleep(1)  # no long poll for this user: poll
            continue
        if change and change.get("job_info"):
            previous = change["job_info"]
