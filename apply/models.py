"""Models of the apply app: organizations and instance applications (a user applies, an admin reviews,
the watcher creates the instance on Ganeti)."""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["ApplyPermissions", "Organization", "ApplicationStatus", "InstanceApplication", "new_cookie", "QueueProblem"]


class ApplyPermissions(models.Model):
    """No table: holds the apply app's permissions, so they can be given to users and groups in the admin."""

    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = _("application permission")
        permissions = [("view_applications", _("Can view all applications"))]


class Organization(models.Model):
    """An organization applicants belong to; its tag becomes the instance's `org:` tag."""

    title = models.CharField(_("title"), max_length=255, unique=True)
    tag = models.SlugField(_("tag"), max_length=100, unique=True,
                           help_text=_("Written on the organization's instances as the org: tag."))
    website = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("telephone"), max_length=30, blank=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.title


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    APPROVED = "approved", _("approved")
    SUBMITTED = "submitted", _("submitted")
    SUCCESS = "success", _("created")
    FAILED = "failed", _("failed")
    REFUSED = "refused", _("refused")
    DISCARDED = "discarded", _("discarded")


# Applications an admin still has to act on (review, or re-submit after a failure).
OPEN_STATUSES = (ApplicationStatus.PENDING, ApplicationStatus.APPROVED, ApplicationStatus.FAILED)
# Applications whose host name is taken: everything not refused or discarded and not yet an instance
# (a created instance is found in the inventory instead).
HOSTNAME_HOLDING_STATUSES = (ApplicationStatus.PENDING, ApplicationStatus.APPROVED,
                             ApplicationStatus.SUBMITTED, ApplicationStatus.FAILED)


def new_cookie() -> str:
    """The secret part of an application's SSH keys URL."""
    return secrets.token_urlsafe(24)


class InstanceApplication(models.Model):
    """A user's request for a virtual machine, and what became of it."""

    # What the applicant asked for.
    hostname = models.CharField(_("host name"), max_length=255)
    memory = models.PositiveIntegerField(_("memory (MiB)"))
    vcpus = models.PositiveSmallIntegerField(_("virtual CPUs"))
    disk_size = models.PositiveIntegerField(_("disk size (GiB)"))
    operating_system = models.CharField(_("operating system"), max_length=255)
    hosts_mail_server = models.BooleanField(_("hosts a mail server"), default=False)
    comments = models.TextField(_("intended use"), blank=True)
    organization = models.ForeignKey(Organization, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="applications", verbose_name=_("organization"))
    admin_contact_name = models.CharField(_("administrative contact name"), max_length=255, blank=True)
    admin_contact_email = models.EmailField(_("administrative contact e-mail"), blank=True)
    admin_contact_phone = models.CharField(_("administrative contact telephone"), max_length=30, blank=True)
    network = models.ForeignKey("ganeti.Network", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="applications", verbose_name=_("requested network"))
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="instance_applications", verbose_name=_("applicant"))
    language = models.CharField(_("language"), max_length=10, blank=True,
                                help_text=_("The applicant's language when filing: mails to them use it."))
    ssh_keys_cookie = models.CharField(_("SSH keys secret"), max_length=64, default=new_cookie, editable=False)

    # Review.
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="reviewed_applications", verbose_name=_("reviewer"))
    admin_comments = models.TextField(_("comments to the applicant"), blank=True)
    refusal_reason = models.TextField(_("reason for refusal"), blank=True)

    # Placement chosen at review.
    cluster = models.ForeignKey("ganeti.Cluster", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="applications", verbose_name=_("cluster"))
    disk_template = models.CharField(_("disk template"), max_length=64, blank=True)
    node_group = models.CharField(_("node group"), max_length=255, blank=True)
    network_name = models.CharField(_("Ganeti network"), max_length=255, blank=True,
                                    help_text=_("A gnt-network network; empty when the NIC is given by link."))
    nic_link = models.CharField(_("NIC link"), max_length=255, blank=True)
    nic_mode = models.CharField(_("NIC mode"), max_length=64, blank=True)
    volume_group = models.CharField(_("volume group"), max_length=255, blank=True)

    # Progress.
    status = models.CharField(_("status"), max_length=16, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.PENDING, db_index=True)
    job_id = models.PositiveBigIntegerField(_("Ganeti job id"), null=True, blank=True)
    backend_message = models.TextField(_("Ganeti's message"), blank=True)
    filed_at = models.DateTimeField(_("filed"), auto_now_add=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    updated_at = models.DateTimeField(_("last updated"), auto_now=True)

    class Meta:
        ordering = ["-filed_at", "-pk"]
        verbose_name = _("instance application")
        verbose_name_plural = _("instance applications")
        indexes = [models.Index(fields=["hostname"], name="apply_application_hostname")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.hostname}"

    @property
    def is_open(self) -> bool:
        """Pending, approved or failed: an admin may (re-)review it."""
        return self.status in OPEN_STATUSES

    @property
    def can_submit(self) -> bool:
        return self.status in (ApplicationStatus.APPROVED, ApplicationStatus.FAILED)


# -- watcher -----------------------------------------------------------------------------------


class QueueProblem(models.Model):
    """A queue message the watcher could not handle and buried (bad JSON, unknown application, a
    handler that failed): kept here for admins to see and act on, never silently dropped."""

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    message_type = models.CharField(_("message type"), max_length=64, blank=True)
    body = models.TextField(_("message"))
    reason = models.TextField(_("reason"))
    application = models.ForeignKey(InstanceApplication, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="queue_problems", verbose_name=_("application"))
    resolved = models.BooleanField(_("resolved"), default=False,
                                   help_text=_("Tick once the cause is dealt with; the list shows unresolved ones."))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("queue problem")
        verbose_name_plural = _("queue problems")

    def __str__(self) -> str:
        return f"{self.message_type or '?'}: {self.reason[:80]}"
