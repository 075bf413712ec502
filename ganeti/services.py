"""Writes of the ganeti app: clusters."""

from django.conf import settings

from .choices import TlsModeChoices
from .models import Cluster
from .rapi.client import fetch_certificate_fingerprint

__all__ = ["cluster_save", "cluster_set_disabled", "cluster_reencrypt_password", "cluster_pin_certificate",
           "cluster_forget_certificate", "instance_job_started", "instance_job_ended"]


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
