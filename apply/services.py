"""Writes of the apply app. Every change of an application's status happens here, in a transaction,
under a row lock (DESIGN.md §4)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import UserProfile
from ganetimgr.mail import manager_addresses, send_templated
from ganetimgr.queue import QueueUnavailable, enqueue

from .images import operating_systems
from .models import ApplicationStatus, InstanceApplication

log = logging.getLogger(__name__)


# -- submission --------------------------------------------------------------------------------
# From "submitted" on, the watcher owns the application: apply/handlers.py creates the instance.

SUBMITTABLE_STATUSES = (ApplicationStatus.APPROVED, ApplicationStatus.FAILED)


class SubmitRefused(Exception):
    """The application cannot be submitted (wrong status, no cluster chosen); the text is for the user."""

@dataclass
class Submission:
    """What application_submit() did. `queued` is True once beanstalkd took the CREATE message, False when
    it could not (the watcher picks the application up when it reconnects), None while the caller's own
    transaction has not committed yet."""
    application: InstanceApplication
    queued: bool | None = None
    queue_error: str = ""

    @property
    def message(self) -> str:
        """What to tell the reviewer."""
        hostname, cluster = self.application.hostname, self.application.cluster
        if self.queued is False:
            return _("%(hostname)s was submitted, but the job queue is not reachable right now: the instance "
                     "will be created on %(cluster)s as soon as the queue is back.") % {
                "hostname": hostname, "cluster": cluster}
        return _("%(hostname)s was accepted and submitted to %(cluster)s: the instance is being created.") % {
            "hostname": hostname, "cluster": cluster}


def create_message(application_id: int) -> dict:
    return {"type": "CREATE", "application": application_id}


def application_submit(*, application: InstanceApplication, user) -> Submission:
    """approved or failed → submitted, and (once committed) a CREATE message for the watcher.

    The database is the truth: if beanstalkd is down the application still says submitted, and the
    watcher re-enqueues it when it (re)connects to beanstalkd. Raises SubmitRefused."""
    with transaction.atomic():
        locked = InstanceApplication.objects.select_for_update().get(pk=application.pk)
        if locked.status not in SUBMITTABLE_STATUSES:
            raise SubmitRefused(_("Only approved or failed applications can be submitted; this one is %(status)s.")
                                % {"status": locked.get_status_display()})
        if locked.cluster_id is None:
            raise SubmitRefused(_("Choose the cluster the instance goes to first."))
        if locked.reviewer_id is None and user is not None:
            locked.reviewer = user
        locked.status = ApplicationStatus.SUBMITTED
        locked.job_id = None
        locked.backend_message = ""
        locked.submitted_at = timezone.now()
        locked.finished_at = None
        locked.save(update_fields=["status", "job_id", "backend_message", "submitted_at", "finished_at",
                                   "reviewer", "updated_at"])
        submission = Submission(application=locked)
        transaction.on_commit(lambda: _enqueue_create(submission))
    log.info("application #%s (%s) submitted by %s", locked.pk, locked.hostname, getattr(user, "username", user))
    # Keep the caller's object current (the view renders it next).
    for field in ("status", "job_id", "backend_message", "submitted_at", "finished_at", "reviewer_id"):
        setattr(application, field, getattr(locked, field))
    return submission


def _enqueue_create(submission: Submission) -> None:
    try:
        enqueue(create_message(submission.application.pk))
    except QueueUnavailable as exc:
        # Not an error for the reviewer: the watcher re-enqueues submitted applications when it connects.
        log.warning("application #%s: CREATE not queued (%s); the watcher will pick it up when beanstalkd is back",
                    submission.application.pk, exc)
        submission.queued, submission.queue_error = False, str(exc)
    else:
        submission.queued = True


# -- web: filing, review, refusal ------------------------------------------------------------------

REVIEWABLE_STATUSES = (ApplicationStatus.PENDING, ApplicationStatus.APPROVED, ApplicationStatus.FAILED)


class ReviewRefused(Exception):
    """The application cannot be reviewed in its status; the text is for the reviewer."""

def site_url(path: str) -> str:
    """An absolute URL on this site, for mails and for the clusters (SITE_URL)."""
    return settings.SITE_URL + path


def ssh_keys_url(application: InstanceApplication) -> str:
    """Where the new instance fetches its owner's SSH keys (the img_ssh_key_url OS parameter)."""
    return site_url(reverse("apply:instance_ssh_keys", args=[application.pk, application.ssh_keys_cookie]))


def application_file(*, form, user, language: str = "") -> InstanceApplication:
    """Save a valid ApplicationForm as a pending application of `user`, fill the profile's empty
    organization and telephone from it, and (on commit) mail the managers a review link. A mail that
    cannot be sent is logged: the application stands, and the reviewers' list shows it."""
    with transaction.atomic():
        application = form.save(commit=False)
        application.applicant = user
        application.language = language or ""
        application.status = ApplicationStatus.PENDING
        application.save()
        profile, _created = UserProfile.objects.get_or_create(user=user)
        changed = []
        if not profile.organization and application.organization_id:
            profile.organization = application.organization.title
            changed.append("organization")
        if not profile.telephone and application.admin_contact_phone:
            profile.telephone = application.admin_contact_phone
            changed.append("telephone")
        if changed:
            profile.save(update_fields=changed)
        transaction.on_commit(lambda: _mail_managers_new(application), robust=True)
    log.info("application #%s (%s) filed by %s", application.pk, application.hostname, user.username)
    return application


def _mail_managers_new(application: InstanceApplication) -> None:
    entry = operating_systems().get(application.operating_system) or {}
    context = {"application": application, "os_description": entry.get("description", application.operating_system),
               "review_url": site_url(reverse("apply:application_review", args=[application.pk]))}
    try:
        send_templated("apply/email/new_application", context, manager_addresses())
    except Exception:  # noqa: BLE001 - any mail failure: the application is filed, the list shows it
        log.exception("application #%s: the managers could not be mailed", application.pk)


def application_review(*, application: InstanceApplication, form, reviewer) -> InstanceApplication:
    """Save a valid ReviewForm and mark the application approved (from pending, approved or failed)."""
    with transaction.atomic():
        locked = InstanceApplication.objects.select_for_update().get(pk=application.pk)
        if locked.status not in REVIEWABLE_STATUSES:
            raise ReviewRefused(_("This application is %(status)s: it cannot be reviewed any more.")
                                % {"status": locked.get_status_display()})
        reviewed = form.save(commit=False)
        reviewed.status = ApplicationStatus.APPROVED if locked.status == ApplicationStatus.PENDING else locked.status
        reviewed.reviewer = reviewer
        reviewed.reviewed_at = timezone.now()
        reviewed.job_id, reviewed.backend_message = locked.job_id, locked.backend_message
        reviewed.save()
    log.info("application #%s (%s) approved by %s", reviewed.pk, reviewed.hostname, reviewer.username)
    return reviewed


def application_refuse(*, application: InstanceApplication, reviewer, reason: str) -> bool:
    """Refuse a pending, approved or failed application with a reason mailed to the applicant in their
    language. Returns whether the mail went out (the refusal stands either way)."""
    reason = (reason or "").strip()
    if not reason:
        raise ReviewRefused(_("Give the reason for the refusal: it is mailed to the applicant."))
    with transaction.atomic():
        locked = InstanceApplication.objects.select_for_update().get(pk=application.pk)
        if locked.status not in REVIEWABLE_STATUSES:
            raise ReviewRefused(_("This application is %(status)s: it cannot be refused any more.")
                                % {"status": locked.get_status_display()})
        locked.status = ApplicationStatus.REFUSED
        locked.refusal_reason = reason
        locked.reviewer = reviewer
        locked.reviewed_at = locked.finished_at = timezone.now()
        locked.save(update_fields=["status", "refusal_reason", "reviewer", "reviewed_at", "finished_at", "updated_at"])
    application.status, application.refusal_reason = locked.status, locked.refusal_reason
    log.info("application #%s (%s) refused by %s", locked.pk, locked.hostname, reviewer.username)
    return _mail_refused(locked)


def _mail_refused(application: InstanceApplication) -> bool:
    if not application.applicant.email:
        return False
    context = {"application": application,
               "detail_url": site_url(reverse("apply:application_detail", args=[application.pk]))}
    try:
        send_templated("apply/email/application_refused", context, [application.applicant.email],
                       language=application.language or None)
    except Exception:  # noqa: BLE001 - the refusal stands; the reviewer is told
        log.exception("application #%s: the applicant could not be mailed the refusal", application.pk)
        return False
    return True


def application_fast_create(*, form, user) -> InstanceApplication:
    """Superuser fast creation: a ReviewForm saved as an approved application of `user`, ready to submit."""
    application = form.save(commit=False)
    application.applicant = user
    application.reviewer = user
    application.status = ApplicationStatus.APPROVED
    application.comments = application.comments or _("Created directly by an administrator.")
    application.reviewed_at = timezone.now()
    application.save()
    log.info("application #%s (%s) created directly by %s", application.pk, application.hostname, user.username)
    return application
