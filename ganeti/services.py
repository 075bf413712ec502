"""Writes of the ganeti app: clusters, and instances (jobs and their locks, e-mail-confirmed
reinstall/destroy/rename, configuration, owners, admin lock, isolation)."""

import hashlib
import logging
import secrets
import smtplib
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from apply.images import UnknownOperatingSystem, operating_systems, os_create_params
from apply.images import invalidate as os_catalogue_invalidate  # clear_caches
from apply.models import InstanceApplication
from apply.services import ssh_keys_url
from auditlog.models import AuditAction
from auditlog.services import audit_add_details, audit_record
from ganetimgr.mail import manager_addresses, send_templated
from ganetimgr.queue import QueueUnavailable, enqueue

from . import permissions
from .choices import TlsModeChoices
from .forms import IMAGE_CHOICE_PREFIX
from .models import Cluster, InstanceAction, InstanceActionRequest
from .rapi import inventory
from .rapi.client import GanetiApiError, fetch_certificate_fingerprint
from .rapi.connection import client_for
from .selectors import INSTANCE_JOB_LOCK_SECONDS, instance_job_key, instance_pending_job

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



# -- instances -------------------------------------------------------------------------------


def instance_job_started(*, cluster: Cluster, instance_name: str, job_id: int, action: str, user) -> dict:
    """A job was submitted for an instance: set its action lock ("job pending" on every page), mark the
    cluster's snapshots outdated, and, once the transaction commits, ask the watcher to follow the job
    (the JOB handler releases the lock when it ends)."""
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
    try:
        enqueue(message)
    except QueueUnavailable as exc:
        logging.getLogger(__name__).warning("job %s/%s not followed by the watcher: %s",
                                            message["cluster"], message["job_id"], exc)


def instance_job_finished(*, cluster: Cluster, instance_name: str, job: dict, action: str = "") -> bool:
    """A job of ours ended (seen by the watcher, the detail page's poll or the list): release the lock,
    and, the first time this job's end is seen (a marker in the cache), record the outcome in the job's audit
    entries and, after a successful reboot or start (a stopped instance starts with its new parameters),
    remove the instance's `needsreboot` tag. True when this call released the lock."""
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
    if status == "success" and action in ("reboot", "startup"):
        tag = f"{settings.GANETI_TAG_PREFIX}:needsreboot"
        try:
            client = client_for(cluster)
            if tag in client.get_instance_tags(instance_name):
                client.delete_instance_tags(instance_name, [tag])
        except GanetiApiError as exc:
            logging.getLogger(__name__).warning("%s/%s: needsreboot tag not removed: %s", cluster.slug,
                                                instance_name, exc)
    return released


# -- power actions, shared by the instance pages and the API ----------------------------------

__all__ += ["POWER_ACTIONS", "PowerActionRefused", "instance_power_action"]

POWER_ACTIONS = {"startup": AuditAction.STARTUP, "shutdown": AuditAction.SHUTDOWN, "reboot": AuditAction.REBOOT}


class PowerActionRefused(Exception):
    """Why a power action was not submitted. `code`: "not_allowed" (the user may see the instance but
    not operate it), "admin_locked" (an owner, but an administrator locked it), "already_running"
    (start of a running instance) or "job_pending" (a job of ours still runs on it); `message` says
    so to the user."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def instance_power_action(*, request, user, cluster: Cluster, instance, action: str) -> int:
    """Start, shut down or reboot the live `instance` (selectors.instance_or_404(..., live=True)) for
    `user`: check the permission (a refusal is audited), refuse a start of a running instance and any
    action while a job of ours runs, submit the job, audit it and set the action lock. Returns the job
    id; raises PowerActionRefused, or GanetiApiError when the cluster refuses or does not answer."""
    audit_action = POWER_ACTIONS[action]
    name = instance.name
    if not permissions.can_operate_instance(user, instance):
        audit_record(request=request, user=user, cluster=cluster, instance_name=name, action=audit_action,
                     authorized=False, details=_("Refused: not allowed."))
        if permissions.is_owner(user, instance) and instance.meanings.admin_locked:
            raise PowerActionRefused("admin_locked", _("An administrator locked this instance."))
        raise PowerActionRefused("not_allowed", _("You may not operate this instance."))
    if action == "startup" and instance.is_running:
        # (Its end would clear needsreboot, though nothing restarted.) The button is disabled for it too.
        raise PowerActionRefused("already_running", _("%(name)s is running already.") % {"name": name})
    pending = instance_pending_job(cluster, name)
    if pending:
        raise PowerActionRefused(
            "job_pending", _("Job %(id)s (%(action)s) is still running on this instance; try again when it ends.")
            % {"id": pending["job_id"], "action": pending["action"]})
    client = client_for(cluster, user=user)
    if action == "startup":
        job_id = client.startup_instance(name)
    elif action == "shutdown":
        job_id = client.shutdown_instance(name)
    else:
        job_id = client.reboot_instance(name)
    audit_record(request=request, user=user, cluster=cluster, instance_name=name, action=audit_action, job_id=job_id)
    instance_job_started(cluster=cluster, instance_name=name, job_id=job_id, action=action, user=user)
    return job_id


# -- end power actions


# -- instance changes ------------------------------------------------------------------------
# E-mail-confirmed reinstall/destroy/rename, the configuration form, owners, admin lock, isolation.
# Every function takes the live instance (selectors.instance_or_404(..., live=True)) the view checked.

__all__ += ["InstanceChangeError", "ActionMailNotSent", "ActionLinkInvalid", "action_request_create",
            "action_request_find", "action_request_matches", "action_request_refused", "action_request_confirm",
            "rename_obstacle", "reinstall_os_label", "instance_configure", "instance_set_owners", "instance_set_admin_lock",
            "instance_set_isolation"]


class InstanceChangeError(Exception):
    """A change that was not made; the message is fit for the user (it carries Ganeti's reason)."""

class ActionMailNotSent(InstanceChangeError):
    """The confirmation mail could not be sent: the request was dropped."""

class ActionLinkInvalid(InstanceChangeError):
    """An e-mailed link that cannot be used: `code` is unknown, used, voided, expired or gone."""
    def __init__(self, message, code: str):
        super().__init__(message)
        self.code = code


# Ganeti's disk templates that can live-migrate (DTS_MIRRORED); the isolation hooks act on migration.
MIGRATABLE_DISK_TEMPLATES = frozenset({"drbd", "sharedfile", "blockdev", "rbd", "ext", "gluster", "diskless"})


def _tag(name: str) -> str:
    return f"{settings.GANETI_TAG_PREFIX}:{name}"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _ganeti_refused(exc) -> InstanceChangeError:
    return InstanceChangeError(_("Ganeti did not accept the change: %(reason)s") % {"reason": exc.message})


def _submit(cluster, *, request, instance_name: str, action: str, call, details: str = "") -> int:
    """Run one RAPI write (`call(client)` -> job id), audit it, start following its job.
    InstanceChangeError with Ganeti's reason when the cluster refuses; nothing is recorded then."""
    try:
        job_id = call(client_for(cluster, user=request.user))
    except GanetiApiError as exc:
        logging.getLogger(__name__).warning("%s %s/%s by %s refused: %s", action, cluster.slug, instance_name,
                                            request.user, exc)
        raise _ganeti_refused(exc) from exc
    audit_record(request=request, cluster=cluster, instance_name=instance_name, action=action, job_id=job_id,
                 details=details)
    instance_job_started(cluster=cluster, instance_name=instance_name, job_id=job_id, action=action,
                         user=request.user)
    return job_id


def _then(jobs: list[int], submit) -> int:
    """One more RAPI write of a change made of several (`submit()` -> job id, appended to `jobs`). When
    Ganeti refuses it after earlier ones were submitted, the error says those were: a half-done change
    is never reported as not done, nor as done."""
    try:
        job_id = submit()
    except InstanceChangeError as exc:
        if not jobs:
            raise
        raise InstanceChangeError(_("Only partly done: Ganeti jobs %(jobs)s were submitted, then: %(reason)s") % {
            "jobs": ", ".join(map(str, jobs)), "reason": exc}) from exc
    jobs.append(job_id)
    return job_id


def action_request_create(*, request, cluster, instance, action: str, new_name: str = "",
                          operating_system: str = ""):
    """Record a reinstall/destroy/rename request and mail its single-use link to the requester. The
    requester's earlier unused request of the same kind for the same instance is voided (a co-owner's
    is not: each confirms their own). When the mail cannot be
    sent, nothing is recorded (and the earlier request stays usable): ActionMailNotSent."""
    user = request.user
    if not user.email:
        raise ActionMailNotSent(_("Your account has no e-mail address to send the confirmation link to."))
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        InstanceActionRequest.objects.filter(
            user=user, cluster=cluster, instance_name=instance.name, action=action, used_at=None, voided_at=None,
        ).update(voided_at=now)
        action_request = InstanceActionRequest.objects.create(
            user=user, cluster=cluster, instance_name=instance.name, instance_uuid=instance.raw.get("uuid") or "",
            action=action, new_name=new_name, operating_system=operating_system, token_hash=_token_hash(token),
            created=now, expires_at=now + timedelta(days=settings.INSTANCE_ACTION_ACTIVE_DAYS),
        )
        context = {
            "user": user, "action": action, "action_request": action_request, "cluster": cluster,
            "instance_name": instance.name, "new_name": new_name,
            "operating_system": reinstall_os_label(operating_system),
            "link": request.build_absolute_uri(reverse("ganeti:instance_action_confirm", args=[token])),
            "days": settings.INSTANCE_ACTION_ACTIVE_DAYS,
        }
        try:
            send_templated("ganeti/email/instance_action", context, [user.email],
                           language=translation.get_language())
        except (OSError, smtplib.SMTPException) as exc:
            logging.getLogger(__name__).error("%s link for %s/%s not sent to %s: %s", action, cluster.slug,
                                              instance.name, user, exc)
            raise ActionMailNotSent(_("We could not send the confirmation mail, so nothing was requested; "
                                      "please try again later.")) from exc
    return action_request


def action_request_find(token: str):
    """The pending request of an e-mailed link, or ActionLinkInvalid saying why it cannot be used."""
    action_request = (InstanceActionRequest.objects.select_related("cluster", "user")
                      .filter(token_hash=_token_hash(token)).first())
    if action_request is None:
        raise ActionLinkInvalid(_("This link is not known. Copy the whole link from the mail, or ask again."),
                                "unknown")
    return _usable(action_request)


def _usable(action_request):
    if action_request.used_at is not None:
        raise ActionLinkInvalid(_("This link was used already: each link works once."), "used")
    if action_request.voided_at is not None:
        raise ActionLinkInvalid(_("A newer request replaced this one: use the link of the latest mail."), "voided")
    if action_request.expires_at <= timezone.now():
        raise ActionLinkInvalid(_("This link has expired: ask again from the instance's page."), "expired")
    return action_request


def action_request_matches(action_request, instance) -> bool:
    """Whether the live instance is the one the request was made for (not another that took its name)."""
    uuid = (getattr(instance, "raw", None) or {}).get("uuid")
    return not (action_request.instance_uuid and uuid and uuid != action_request.instance_uuid)


def action_request_refused(*, request, action_request, reason: str) -> None:
    """Someone who may not make this change opened its link: audit it (not authorized) and tell the
    MANAGERS. A mail failure is logged, never shown to the one refused."""
    entry = audit_record(request=request, cluster=action_request.cluster, instance_name=action_request.instance_name,
                         action=AuditAction.REFUSED, authorized=False,
                         details=f"Unauthorized {action_request.action} attempt ({reason})")
    context = {"entry": entry, "action_request": action_request, "user": request.user, "reason": reason}
    try:
        send_templated("ganeti/email/instance_action_refused", context, manager_addresses(),
                       language=settings.LANGUAGE_CODE)
    except (OSError, smtplib.SMTPException) as exc:
        logging.getLogger(__name__).error("managers not told of a refused %s on %s/%s: %s", action_request.action,
                                          action_request.cluster.slug, action_request.instance_name, exc)


def rename_obstacle(cluster, instance, new_name: str) -> str:
    """Why the instance cannot be renamed to new_name now ("" when it can): it must be stopped (Ganeti
    refuses otherwise) and the name must be free on the cluster."""
    if instance.admin_state != "down" or instance.oper_state:
        return _("Only a stopped instance can be renamed: shut it down first (and make sure nothing starts it "
                 "again).")
    if inventory.live_instance(cluster, new_name) is not None:
        return _("The cluster has an instance named %(name)s already.") % {"name": new_name}
    return ""


def reinstall_os_label(choice: str) -> str:
    """What a reinstall request's operating_system says to people: the image's description for an
    image of the catalogue (image:<key>), else the OS variant itself ("" keeps the instance's own)."""
    if not choice.startswith(IMAGE_CHOICE_PREFIX):
        return choice

    key = choice[len(IMAGE_CHOICE_PREFIX):]
    return str((operating_systems().get(key) or {}).get("description") or key)


def _reinstall_os(choice: str, instance) -> tuple[str | None, dict | None]:
    """(Ganeti OS, osparams) of a reinstall request's choice: an image of the catalogue gives its
    provider and osparams, with the SSH keys of the application the instance came from (its
    application:<id> tag), as at creation; a cluster OS variant gives itself; "" keeps the OS."""
    if not choice.startswith(IMAGE_CHOICE_PREFIX):
        return choice or None, None

    app_id = instance.meanings.application_id
    application = (InstanceApplication.objects.select_related("applicant").filter(pk=app_id).first()
                   if app_id else None)
    try:
        params = os_create_params(choice[len(IMAGE_CHOICE_PREFIX):], application=application,
                                  ssh_keys_url=ssh_keys_url(application) if application else "")
    except UnknownOperatingSystem:
        raise InstanceChangeError(_("The image %(os)s is no longer offered: ask again and choose another.")
                                  % {"os": choice[len(IMAGE_CHOICE_PREFIX):]}) from None
    return params["os_type"], params["osparams"]


def action_request_confirm(*, request, action_request, instance) -> int:
    """Run a confirmed request through RAPI, mark its link used, audit it with the job id and start
    following the job. InstanceChangeError (link unusable, rename impossible, Ganeti refused) leaves
    the link usable unless it was used meanwhile."""
    cluster = action_request.cluster
    name = action_request.instance_name
    with transaction.atomic():
        # Locked: two confirmations of one link cannot both run.
        locked = _usable(InstanceActionRequest.objects.select_for_update().get(pk=action_request.pk))
        if locked.action == InstanceAction.RENAME:
            obstacle = rename_obstacle(cluster, instance, locked.new_name)
            if obstacle:
                raise InstanceChangeError(obstacle)
            details = f"Rename to {locked.new_name}"

            def call(client):
                return client.rename_instance(name, locked.new_name, name_check=False, ip_check=False)
        elif locked.action == InstanceAction.REINSTALL:
            os_name, osparams = _reinstall_os(locked.operating_system, instance)
            details = f"Reinstall with {locked.operating_system or instance.os}"
            if osparams is not None:
                details += f" ({os_name})"
            start = instance.admin_state == "up"

            def call(client):
                return client.reinstall_instance(name, os=os_name, osparams=osparams, start=start)
        else:
            details = "Destroy"

            def call(client):
                return client.delete_instance(name)
        job_id = _submit(cluster, request=request, instance_name=name, action=locked.action, call=call,
                         details=details)
        now = timezone.now()
        InstanceActionRequest.objects.filter(pk=locked.pk).update(used_at=now, job_id=job_id)
        if locked.action in (InstanceAction.RENAME, InstanceAction.DESTROY):
            # The name will no longer be this instance's: no other link may act on it.
            InstanceActionRequest.objects.filter(cluster=cluster, instance_name=name, used_at=None,
                                                 voided_at=None).update(voided_at=now)
    return job_id


def instance_configure(*, request, cluster, instance, changes: dict) -> tuple[int, bool]:
    """Set hypervisor parameters (RAPI modify). A running instance gets the needsreboot tag, since the
    change applies at its next start. (job id, whether a reboot is needed)."""
    name = instance.name
    details = "Setting " + ", ".join(f"{key}:{value}" for key, value in sorted(changes.items()))
    jobs: list[int] = []
    job_id = _then(jobs, lambda: _submit(cluster, request=request, instance_name=name, action=AuditAction.MODIFY,
                                         details=details,
                                         call=lambda client: client.modify_instance(name, hvparams=changes)))
    needs_reboot = bool(instance.oper_state) or instance.status == "running"
    if needs_reboot and not instance.meanings.needs_reboot:
        tag = _tag("needsreboot")
        _then(jobs, lambda: _submit(cluster, request=request, instance_name=name, action=AuditAction.MODIFY,
                                    details=f"Add tag {tag}", call=lambda client: client.add_instance_tags(name, [tag])))
    return job_id, needs_reboot


def _owner_tags(instance) -> dict[tuple[str, str], list[str]]:
    """(kind u/g, name) -> the instance's tags that say so (either spelling)."""
    head = settings.GANETI_TAG_PREFIX + ":"
    found: dict[tuple[str, str], list[str]] = {}
    for tag in instance.tags:
        if not tag.startswith(head):
            continue
        key, _sep, value = tag[len(head):].partition(":")
        if value and key in ("user", "users", "group", "groups"):
            found.setdefault(("u" if key.startswith("user") else "g", value), []).append(tag)
    return found


def instance_set_owners(*, request, cluster, instance, users: set[str], groups: set[str]) -> list[int]:
    """Make the instance's owner tags say exactly `users` and `groups`: new owners tagged first, then
    the removed ones untagged (so the instance is never left without its remaining owners). The job
    ids ([] when nothing changed)."""
    current = _owner_tags(instance)
    wanted = {("u", name) for name in users} | {("g", name) for name in groups}
    add = [_tag(f"{'user' if kind == 'u' else 'group'}:{name}") for kind, name in sorted(wanted - set(current))]
    remove = [tag for key in sorted(set(current) - wanted) for tag in current[key]]
    words = {"u": "user", "g": "group"}
    details = " ".join([f"+{words[k]}:{n}" for k, n in sorted(wanted - set(current))]
                       + [f"-{words[k]}:{n}" for k, n in sorted(set(current) - wanted)])
    jobs: list[int] = []
    name = instance.name
    if add:
        _then(jobs, lambda: _submit(cluster, request=request, instance_name=name, action=AuditAction.OWNERS,
                                    details=details, call=lambda client: client.add_instance_tags(name, add)))
    if remove:
        _then(jobs, lambda: _submit(cluster, request=request, instance_name=name, action=AuditAction.OWNERS,
                                    details=details if not add else f"{details} (removal)",
                                    call=lambda client: client.delete_instance_tags(name, remove)))
    return jobs


def instance_set_admin_lock(*, request, cluster, instance, locked: bool) -> int | None:
    """Add or remove the adminlock tag; None when it is already so."""
    if locked == instance.meanings.admin_locked:
        return None
    tag = _tag("adminlock")
    name = instance.name
    if locked:
        return _submit(cluster, request=request, instance_name=name, action=AuditAction.LOCK, details="Lock instance",
                       call=lambda client: client.add_instance_tags(name, [tag]))
    return _submit(cluster, request=request, instance_name=name, action=AuditAction.UNLOCK,
                   details="Unlock instance", call=lambda client: client.delete_instance_tags(name, [tag]))


def instance_set_isolation(*, request, cluster, instance, isolated: bool, whitelist_ip: str = "") -> dict:
    """Tag (or untag) the instance `isolate` and set its one `whitelist_ip:<cidr>` tag; then, when it
    runs on a disk template that can live-migrate, live-migrate it so the nodes' hooks apply the new
    rules (as the old ganetimgr did). {"jobs": [...], "migrated": bool, "changed": bool}."""
    name = instance.name
    head = _tag("whitelist_ip:")
    old_whitelist = [tag for tag in instance.tags if tag.startswith(head)]
    wanted = {_tag("isolate")} if isolated else set()
    if isolated and whitelist_ip:
        wanted.add(head + whitelist_ip)
    present = {tag for tag in instance.tags if tag == _tag("isolate")} | set(old_whitelist)
    add, remove = sorted(wanted - present), sorted(present - wanted)
    result = {"jobs": [], "migrated": False, "changed": bool(add or remove)}
    if not (add or remove):
        return result
    action = AuditAction.ISOLATE if isolated else AuditAction.UNISOLATE
    details = " ".join([f"+{tag}" for tag in add] + [f"-{tag}" for tag in remove])
    jobs = result["jobs"]
    if add:
        _then(jobs, lambda: _submit(cluster, request=request, instance_name=name, action=action, details=details,
                                    call=lambda client: client.add_instance_tags(name, add)))
    if remove:
        _then(jobs, lambda: _submit(cluster, request=request, instance_name=name, action=action, details=details,
                                    call=lambda client: client.delete_instance_tags(name, remove)))
    if instance.status == "running" and instance.disk_template in MIGRATABLE_DISK_TEMPLATES:
        _then(jobs, lambda: _submit(cluster, request=request, instance_name=name, action=action,
                                    details="Live migration to apply the isolation rules",
                                    call=lambda client: client.migrate_instance(name, mode="live")))
        result["migrated"] = True
    return result


# -- clusters, nodes, jobs -------------------------------------------------------------------

__all__ += ["cluster_refresh", "clear_caches"]


def cluster_refresh(*, cluster: Cluster) -> None:
    """The cluster info page's Refresh: every snapshot of the cluster (its /2/info too) is fetched
    again before it is next served."""
    inventory.invalidate(cluster)


def clear_caches() -> int:
    """Clear cache (superusers): every snapshot of every cluster, disabled ones too, is fetched again
    before it is next served (the /2/info the application forms read is one of them); the OS image
    catalogue and the clusters' OS lists (/2/os) are forgotten. Returns the number of clusters."""
    clusters = list(Cluster.objects.all())
    for cluster in clusters:
        inventory.invalidate(cluster)
    # The key of ganeti.selectors.cluster_os_variants.
    cache.delete_many([f"cluster-os:{cluster.pk}" for cluster in clusters])
    os_catalogue_invalidate()
    return len(clusters)
# -- end clusters, nodes, jobs
