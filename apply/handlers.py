"""The watcher's side of applications: a CREATE message becomes exactly one Ganeti instance.

    {"type": "CREATE", "application": <id>}

The database is the truth (DESIGN.md §4). The handler, holding the application's row lock in one
transaction, looks on the cluster for what an earlier attempt may have left (a create job or an instance
carrying this application's tag), sends the create request only when there is none, and saves the job
id before the lock is released. A watcher killed anywhere in between rolls the transaction back and
releases the lock with its database connection; whoever handles the message next finds the job or the
instance on the cluster and adopts it. So a message delivered twice, two watchers or a restart never
create two instances (and Ganeti refuses a second instance of the same name anyway).

The job is then followed with /2/jobs/<id>/wait long polls; its end moves the application to success
or failed (Ganeti's words) under the row lock, once, and the mails go out after that commit. A mail
server that fails is logged and changes nothing.

On every connection to beanstalkd the watcher re-enqueues the applications the database says are
submitted and unfinished (beanstalkd may have been down at submission, or lost its messages).
Buried messages are recorded as QueueProblem rows for admins.
"""

from __future__ import annotations

import json
import logging
import time

import gevent
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ganeti.rapi import inventory
from ganeti.rapi.client import FINALIZED_JOB_STATUSES, GanetiApiError
from ganeti.rapi.connection import client_for
from ganetimgr.mail import manager_addresses, send_templated
from ganetimgr.queue import MESSAGE_TTR, QueueUnavailable, beanstalk_client
from ganetimgr.worker import BadMessage, Retry, handles, on_bury, on_connect

from . import images
from .models import ApplicationStatus, InstanceApplication, QueueProblem
from .services import create_message, site_url, ssh_keys_url

log = logging.getLogger("ganetimgr.watcher.create")

# Transient RAPI trouble while following a job: this many tries in the handler, then the message
# comes back later (Retry) and the next handler continues from the saved job id.
FOLLOW_ATTEMPTS = 5
RETRY_DELAY = 30


class CreationRefused(Exception):
    """Ganeti (or the request we could build) refused the creation: the application fails with this text."""

# -- the message -----------------------------------------------------------------------------------------


@handles("CREATE")
def create_instance(message: dict) -> None:
    application_id = message.get("application")
    if isinstance(application_id, bool) or not isinstance(application_id, int):
        raise BadMessage("CREATE message without an integer 'application'")
    try:
        started = _start_creation(application_id)
        if started is not None and started[1] is not None:
            _follow(*started)
    except (OperationalError, InterfaceError) as exc:
        # The database away for a moment: the transaction rolled back, so the next try starts over (and
        # finds a create sent meanwhile). Buried, the application would wait for a watcher restart.
        raise Retry(f"application #{application_id}: database: {str(exc).strip()}", delay=RETRY_DELAY) from exc


def _start_creation(application_id: int) -> tuple[InstanceApplication, int | None] | None:
    """Under the row lock: nothing to do (None), a job to follow, or the end already recorded."""
    outcome = None
    with transaction.atomic():
        application = InstanceApplication.objects.select_for_update().filter(pk=application_id).first()
        if application is None:
            raise BadMessage(f"there is no application #{application_id}")
        if application.status != ApplicationStatus.SUBMITTED:
            log.info("application #%s is %s: nothing to create", application_id, application.status)
            return None
        if application.job_id is not None:
            return application, application.job_id  # created by an earlier handler: follow its job
        try:
            client = client_for(application.cluster, user=application.reviewer)
            found = _earlier_attempt(client, application)
            if found == "instance":
                log.info("application #%s: %s already exists with its tag; adopting it", application.pk,
                         application.hostname)
                outcome = _finish_locked(application, None, ok=True, message="")
            elif found is not None:
                log.info("application #%s: adopting create job %s sent before", application.pk, found)
                _save_job(application, found)
                return application, found
            else:
                job_id = client.create_instance(**create_request(application))
                log.info("application #%s: create %s on %s sent, job %s", application.pk, application.hostname,
                         application.cluster.slug, job_id)
                _save_job(application, job_id)
                return application, job_id
        except CreationRefused as exc:
            outcome = _finish_locked(application, None, ok=False, message=str(exc))
        except GanetiApiError as exc:
            if _transient(exc):
                # A timeout may hide a create that went through: the next try finds its job.
                raise Retry(f"cluster {application.cluster.slug}: {exc}", delay=RETRY_DELAY) from exc
            outcome = _finish_locked(application, None, ok=False, message=exc.message)
    _after_end(outcome)
    return None


def _save_job(application: InstanceApplication, job_id: int) -> None:
    application.job_id = job_id
    application.backend_message = ""
    application.save(update_fields=["job_id", "backend_message", "updated_at"])


def _transient(exc: GanetiApiError) -> bool:
    return exc.kind != "http" or exc.code in (408, 429, 500, 502, 503, 504)


def application_tag(application: InstanceApplication) -> str:
    return f"{settings.GANETI_TAG_PREFIX}:application:{application.pk}"


def _earlier_attempt(client, application: InstanceApplication) -> str | int | None:
    """A job id when a create job for it is queued, running or done, else "instance" when the instance
    exists with this application's tag (its job archived), else None. An instance of that name without
    our tag is left for Ganeti to refuse in its own words."""
    tag = application_tag(application)
    # The jobs first: Ganeti adds the instance (with its tags) to its configuration long before the
    # create job ends (disks, OS install, start), and that job may still fail.
    for job in _create_jobs(client, application.hostname):
        ops = [op for op in job.get("ops") or [] if isinstance(op, dict)]
        if job.get("status") not in ("error", "canceled") and any(
                op.get("OP_ID") == "OP_INSTANCE_CREATE" and tag in (op.get("tags") or []) for op in ops):
            return int(job["id"])
    if tag in _instance_tags(client, application.hostname):
        return "instance"
    return None


def _create_jobs(client, hostname: str) -> list[dict]:
    """The cluster's (live queue) jobs creating `hostname`, newest first."""
    summary = f"INSTANCE_CREATE({hostname})"
    try:
        jobs = client.query("job", ["id", "status", "ops"], ["=[]", "summary", summary])
    except GanetiApiError as exc:
        if exc.kind != "http" or exc.code not in (400, 401, 403, 404, 500, 501):
            raise
        jobs = [job for job in client.get_jobs(bulk=True) if summary in (job.get("summary") or [])]
    return sorted(jobs, key=lambda job: -int(job["id"]))


# -- the create request (§5.4) -------------------------------------------------------------------------


def create_request(application: InstanceApplication) -> dict:
    """Keyword arguments of RapiClient.create_instance for this application. Raises CreationRefused."""
    cluster = application.cluster
    prefix = settings.GANETI_TAG_PREFIX
    tags = [f"{prefix}:user:{application.applicant.username}", application_tag(application)]
    if application.organization_id and application.organization.tag:
        tags.append(f"{prefix}:org:{application.organization.tag}")
    if application.hosts_mail_server:
        tags.append(f"{prefix}:service:mail")
    vg = application.volume_group if application.volume_group not in ("", "default") else None
    if vg:
        tags.append(f"{prefix}:vg:{vg}")

    template = application.disk_template or "plain"
    disk = {"size": application.disk_size * 1024}
    if template.endswith("[ext]"):
        disk["provider"] = template[:-len("[ext]")]
        template = "ext"
    elif vg and template in ("plain", "drbd"):
        disk["vg"] = vg

    try:
        os_params = images.os_create_params(application.operating_system, application=application,
                                            ssh_keys_url=ssh_keys_url(application))
    except KeyError:
        raise CreationRefused(_("The operating system %(os)s is not in the catalogue (any more); choose another "
                                "one at review.") % {"os": application.operating_system}) from None

    request = {
        "name": application.hostname, "disk_template": template, "disks": [disk], "nics": [_nic(application)],
        "os": os_params["os_type"], "osparams": os_params["osparams"] or None,
        "beparams": {"maxmem": application.memory, "minmem": application.memory, "vcpus": application.vcpus},
        "tags": tags,
        # Created running: the applicant gets a machine that is up (the original created them stopped).
        "start": True, "wait_for_sync": False,
    }
    if application.node_group and application.node_group != "default":
        request.update(_nodes_of_group(cluster, application.node_group, template))
    return request


def _nic(application: InstanceApplication) -> dict:
    if application.network_name:
        nic = {"network": application.network_name}
        if application.nic_mode == "routed" or not application.nic_mode:
            nic["ip"] = "pool"
        return nic
    if application.nic_link:
        return {"link": application.nic_link, "mode": application.nic_mode or "bridged"}
    network = application.network
    if network is None:
        network = application.cluster.networks.filter(cluster_default=True).first()
    if network is not None and network.cluster_id == application.cluster_id:
        return {"link": network.link, "mode": network.mode}
    return {}  # the cluster's default NIC parameters


def _nodes_of_group(cluster, group: str, template: str) -> dict:
    """pnode (and snode for drbd): the first usable nodes of the node group, as the original chose them."""
    nodes = [node for node in client_for(cluster).get_nodes(bulk=True)
             if node.get("group") == group and node.get("vm_capable", True)
             and not node.get("offline") and not node.get("drained")]
    needed = 2 if template == "drbd" else 1
    if len(nodes) < needed:
        raise CreationRefused(ngettext(
            "The node group %(group)s has no usable node for a %(template)s instance.",
            "The node group %(group)s has no %(needed)d usable nodes for a %(template)s instance.", needed)
            % {"group": group, "needed": needed, "template": template})
    placement = {"pnode": nodes[0]["name"]}
    if template == "drbd":
        placement["snode"] = nodes[1]["name"]
    return placement


# -- following the job ---------------------------------------------------------------------------------


def _follow(application: InstanceApplication, job_id: int) -> None:
    """Wait for the job's end (long polls; the watcher keeps the message reserved meanwhile), then record it."""
    client = client_for(application.cluster)
    previous, failures, poll_delay = None, 0, 0.5
    long_poll = True
    while True:
        try:
            if long_poll:
                try:
                    answer = client.wait_for_job_change(job_id, ["status"], previous)
                except GanetiApiError as exc:
                    if exc.code not in (401, 403, 405, 501):
                        raise
                    long_poll = False  # a read-only RAPI user: plain polling with backoff
                    continue
                if answer is not None:
                    previous = answer["job_info"]
                    if previous and previous[0] in FINALIZED_JOB_STATUSES:
                        break
            else:
                if client.get_job(job_id)["status"] in FINALIZED_JOB_STATUSES:
                    break
                gevent.sleep(poll_delay)
                poll_delay = min(poll_delay * 2, 10)
            failures = 0
        except GanetiApiError as exc:
            if exc.code == 404:
                break  # unknown (archived) job: get_job below says so, the instance decides
            failures += 1
            if failures >= FOLLOW_ATTEMPTS:
                raise Retry(f"job {job_id} on {application.cluster.slug}: {exc}", delay=RETRY_DELAY) from exc
            gevent.sleep(min(2 ** failures, 15))
    try:
        job = client.get_job(job_id)
    except GanetiApiError as exc:
        raise Retry(f"job {job_id} on {application.cluster.slug}: {exc}", delay=RETRY_DELAY) from exc
    ok = job["status"] == "success"
    message = "" if ok else (job.get("error_message") or _("The job ended %(status)s.") % {"status": job["status"]})
    if not ok and _created_by_us(client, application):
        # "already in the cluster" from a repeated create, or a job Ganeti forgot: the instance is ours.
        ok, message = True, ""
    _record_end(application.pk, job_id, ok=ok, message=message)


def _created_by_us(client, application: InstanceApplication) -> bool:
    try:
        return application_tag(application) in _instance_tags(client, application.hostname)
    except GanetiApiError as exc:
        raise Retry(f"cluster {application.cluster.slug}: {exc}", delay=RETRY_DELAY) from exc


def _instance_tags(client, name: str) -> list[str]:
    """The tags of instance `name`, [] when there is none (its /tags answers 500 then, the instance 404)."""
    try:
        return list(client.get_instance(name).get("tags") or [])
    except GanetiApiError as exc:
        if exc.code == 404:
            return []
        raise


def _record_end(application_id: int, job_id: int, *, ok: bool, message: str) -> None:
    with transaction.atomic():
        application = InstanceApplication.objects.select_for_update().get(pk=application_id)
        if application.status != ApplicationStatus.SUBMITTED or application.job_id != job_id:
            log.info("application #%s: job %s ended, already recorded (%s)", application_id, job_id,
                     application.status)
            return
        outcome = _finish_locked(application, job_id, ok=ok, message=message)
    _after_end(outcome)


def _finish_locked(application: InstanceApplication, job_id: int | None, *, ok: bool, message: str):
    """success or failed, inside the caller's transaction; returns what _after_end needs."""
    application.status = ApplicationStatus.SUCCESS if ok else ApplicationStatus.FAILED
    application.backend_message = message
    application.finished_at = timezone.now()
    application.save(update_fields=["status", "backend_message", "finished_at", "updated_at"])
    log.info("application #%s: %s %s%s", application.pk, application.hostname,
             "created" if ok else "failed", f": {message}" if message else "")
    # robust: whatever goes wrong in the mails (logged) must not bury a message whose instance exists.
    transaction.on_commit(lambda: _mail_outcome(application.pk), robust=True)
    return application


def _after_end(application: InstanceApplication | None) -> None:
    if application is not None:
        inventory.invalidate(application.cluster, ("instances", "jobs"))


# -- mails -------------------------------------------------------------------------------------------


def _mail_outcome(application_id: int) -> None:
    """Mails after the commit. A failing mail server is logged; the outcome stands (original issue #22)."""
    application = InstanceApplication.objects.select_related("applicant", "cluster", "reviewer").get(
        pk=application_id)
    context = {"application": application, "instance_url": _instance_url(application),
               "application_url": site_url(reverse("apply:application_detail", args=[application.pk])),
               "review_url": site_url(reverse("apply:application_review", args=[application.pk]))}
    # The managers and, as the original did, the reviewer (who may not be among them).
    managers = manager_addresses()
    reviewer_email = application.reviewer.email if application.reviewer else ""
    if reviewer_email and reviewer_email.lower() not in {address.lower() for address in managers}:
        managers.append(reviewer_email)
    mails = []
    if application.status == ApplicationStatus.SUCCESS:
        if application.applicant.email:
            mails.append(("apply/email/instance_created", [application.applicant.email],
                          application.language or settings.LANGUAGE_CODE))
        mails.append(("apply/email/instance_created_managers", managers, settings.LANGUAGE_CODE))
    else:
        mails.append(("apply/email/instance_failed_managers", managers, settings.LANGUAGE_CODE))
    for prefix, to, language in mails:
        try:
            send_templated(prefix, context, to, language=language)
        except Exception as exc:  # SMTPException, OSError, a timeout: never the watcher's problem
            log.error("application #%s: mail %s to %s not sent: %s", application.pk, prefix, ", ".join(to), exc)


def _instance_url(application: InstanceApplication) -> str:
    with translation.override(None):
        return site_url(reverse("ganeti:instance_detail", args=[application.cluster.slug, application.hostname]))


# -- start-up recovery and buried messages -------------------------------------------------------------


@on_connect
def enqueue_unfinished() -> int:
    """Put a CREATE message for every submitted application (handling one twice is harmless)."""
    try:
        pending = list(InstanceApplication.objects.filter(status=ApplicationStatus.SUBMITTED)
                       .order_by("pk").values_list("pk", flat=True))
    except DatabaseError as exc:  # the database away (or not migrated): the next connect tries again
        log.warning("could not read the submitted applications to re-enqueue them: %s", str(exc).strip())
        return 0
    if not pending:
        return 0
    started = time.monotonic()
    try:
        with beanstalk_client() as client:
            for application_id in pending:
                client.put(json.dumps(create_message(application_id), separators=(",", ":"), sort_keys=True),
                           ttr=_ttr())
    except (QueueUnavailable, OSError) as exc:
        log.warning("could not re-enqueue %d submitted application(s): %s", len(pending), exc)
        return 0
    log.info("re-enqueued %d submitted application(s) in %.2fs: %s", len(pending), time.monotonic() - started,
             ",".join(map(str, pending[:20])) + (" ..." if len(pending) > 20 else ""))
    return len(pending)


def _ttr() -> int:
    return MESSAGE_TTR


@on_bury
def record_buried(body, reason: str) -> None:
    """Every buried message becomes a QueueProblem row (the admin lists them) besides the log line."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    message_type, application = "", None
    try:
        message = json.loads(text)
    except ValueError:
        message = None
    if isinstance(message, dict):
        message_type = str(message.get("type") or "")[:64]
        application_id = message.get("application")
        if isinstance(application_id, int) and not isinstance(application_id, bool):
            application = InstanceApplication.objects.filter(pk=application_id).first()
    QueueProblem.objects.create(message_type=message_type, body=text, reason=reason, application=application)
