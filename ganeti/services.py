"""Writes of the ganeti app: clusters."""

from django.conf import settings

from .choices import TlsModeChoices
from .models import Cluster
from .rapi.client import fetch_certificate_fingerprint

__all__ = ["cluster_save", "cluster_set_disabled", "cluster_reencrypt_password", "cluster_pin_certificate",
           "cluster_forget_certificate", "instance_job_started", "instance_job_ended",
           "instance_job_finished"]


def cluster_save(*, cluster: Cluster, new_password: str = "") -> Cluster:
    """Save a cluster. A new RAPI password is stored encrypted; an empty one keeps the stored password,
    except that a cluster without a RAPI user keeps none."""
    if new_password:
        cluster.password = new_password
    elif not cluster.username:
        cluster.password = ""
    if (cluster.pk and cluster.tls_fingerprint
            and Cluster.objects.filter(pk=cluster.pk).exclude(hostname=cluster.hostname, port=cluster.port).exists()):
        cluster.tls_fingerprint = ""  # another address is another certificate: pin anew
    cluster.save()
    return cluster


def cluster_set_disabled(*, clusters, disabled: bool) -> int:
    """Enable or disable the given clusters; returns how many changed."""
    return Cluster.objects.filter(pk__in=[c.pk for c in clusters]).exclude(disabled=disabled).update(
        disabled=disabled
    )


def cluster_reencrypt_password(*, cluster: Cluster) -> None:
    """Rewrite the stored RAPI password under the current SECRET_KEY."""
    cluster.password = cluster.password
    cluster.save(update_fields=["password_encrypted"])


def cluster_pin_certificate(*, cluster: Cluster) -> str:
    """Record the certificate the cluster presents now (trust on first use). Raises GanetiApiError
    when the cluster cannot be reached; then nothing is recorded."""
    fingerprint = fetch_certificate_fingerprint(cluster.hostname, cluster.port, timeout=settings.RAPI_CONNECT_TIMEOUT)
    cluster.tls_fingerprint = fingerprint
    Cluster.objects.filter(pk=cluster.pk).update(tls_fingerprint=fingerprint)
    return fingerprint


def cluster_forget_certificate(*, clusters) -> int:
    """Forget pinned certificates (after a cluster's certificate was renewed); the next contact pins again."""
    return Cluster.objects.filter(pk__in=[c.pk for c in clusters], tls_mode=TlsModeChoices.PIN).exclude(
        tls_fingerprint="").update(tls_fingerprint="")



# -- instances (H4a) -------------------------------------------------------------------------------


def instance_job_started(*, cluster: Cluster, instance_name: str, job_id: int, action: str, user) -> dict:
    """A job was submitted for an instance: set its action lock ("job pending" on every page), mark the
    cluster's snapshots outdated, and, once the transaction commits, ask the watcher to follow the job
    (the JOB handler releases the lock when it ends)."""
    import time

    from django.core.cache import cache
    from django.db import transaction

    from ganetimgr.queue import enqueue

    from .rapi import inventory
    from .selectors import INSTANCE_JOB_LOCK_SECONDS, instance_job_key

    lock = {"job_id": int(job_id), "action": action, "since": time.time(),
            "user": getattr(user, "username", user) or ""}
    cache.set(instance_job_key(cluster, instance_name), lock, timeout=INSTANCE_JOB_LOCK_SECONDS)
    inventory.invalidate(cluster, ("instances", "jobs"))
    message = {"type": "JOB", "cluster": cluster.slug, "job_id": int(job_id), "instance": instance_name,
               "action": action}
    transaction.on_commit(lambda: _enqueue_job_message(message, enqueue))
    return lock


def instance_job_ended(*, cluster: Cluster, instance_name: str, job_id: int) -> bool:
    """Release the instance's action lock if it is still this job's; mark the snapshots outdated."""
    from django.core.cache import cache

    from .rapi import inventory
    from .selectors import instance_job_key

    key = instance_job_key(cluster, instance_name)
    lock = cache.get(key)
    released = bool(lock and lock.get("job_id") == int(job_id))
    if released:
        cache.delete(key)
    inventory.invalidate(cluster, ("instances", "jobs"))
    return released


def _enqueue_job_message(message: dict, enqueue) -> None:
    """The lock still ends after INSTANCE_JOB_LOCK_SECONDS, or when a page sees the job ended, if the
    queue is down: the action itself was done, so this must not fail the request."""
    import logging

    from ganetimgr.queue import QueueUnavailable

    try:
        enqueue(message)
    except QueueUnavailable as exc:
        logging.getLogger(__name__).warning("job %s/%s not followed by the watcher: %s",
                                            message["cluster"], message["job_id"], exc)


def instance_job_finished(*, cluster: Cluster, instance_name: str, job: dict, action: str = "") -> bool:
    """A job of ours ended (seen by the watcher, the detail page's poll or the list): release the lock,
    and, the first time this job's end is seen (a marker in the cache), record the outcome in the job's audit
    entries and, after a successful reboot, remove the instance's `needsreboot` tag. True when this
    call released the lock."""
    from django.utils.translation import gettext

    from auditlog.services import audit_add_details

    from .rapi.client import GanetiApiError
    from .rapi.connection import client_for

    from django.core.cache import cache

    job_id = int(job["id"])
    released = instance_job_ended(cluster=cluster, instance_name=instance_name, job_id=job_id)
    if not cache.add(f"instance-job-done:{cluster.pk}:{job_id}", 1, timeout=86400):
        return released  # another process recorded this end already
    status = job.get("status")
    if status == "success":
        outcome = gettext("Job %(id)s ended: success.") % {"id": job_id}
    else:
        outcome = gettext("Job %(id)s ended: %(status)s. %(error)s") % {
            "id": job_id, "status": status, "error": job.get("error_message") or ""}
    audit_add_details(cluster_slug=cluster.slug, job_id=job_id, details=outcome.strip())
    if status == "success" and action == "reboot":
        tag = f"{settings.GANETI_TAG_PREFIX}:needsreboot"
        try:
            client = client_for(cluster)
            if tag in client.get_instance_tags(instance_name):
                client.delete_instance_tags(instance_name, [tag])
        except GanetiApiError as exc:
            import logging

            logging.getLogger(__name__).warning("%s/%s: needsreboot tag not removed: %s", cluster.slug,
                                                instance_name, exc)
    return released
