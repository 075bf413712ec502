"""Writes of the apply app. Every change of an application's status happens here, in a transaction,
under a row lock (DESIGN.md §4)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ganetimgr.queue import QueueUnavailable, enqueue

from .models import ApplicationStatus, InstanceApplication

log = logging.getLogger(__name__)


# -- submission (H5b) --------------------------------------------------------------------------------
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
