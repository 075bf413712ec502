"""What was done to instances, by whom, from where: the audit log and each user's history."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["AuditAction", "AuditEntry"]


class AuditAction(models.TextChoices):
    STARTUP = "startup", _("start")
    SHUTDOWN = "shutdown", _("shut down")
    REBOOT = "reboot", _("reboot")
    REINSTALL = "reinstall", _("reinstall")
    DESTROY = "destroy", _("destroy")
    RENAME = "rename", _("rename")
    MODIFY = "modify", _("change configuration")
    OWNERS = "owners", _("change owners")
    LOCK = "lock", _("lock")
    UNLOCK = "unlock", _("unlock")
    ISOLATE = "isolate", _("isolate")
    UNISOLATE = "unisolate", _("end isolation")
    CONSOLE = "console", _("console")
    CREATE = "create", _("create")
    REFUSED = "refused", _("refused")


class AuditEntry(models.Model):
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="audit_entries", verbose_name=_("requester"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    cluster = models.ForeignKey("ganeti.Cluster", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="audit_entries", verbose_name=_("cluster"))
    cluster_slug = models.CharField(_("cluster slug"), max_length=50, blank=True,
                                    help_text=_("Kept when the cluster is removed."))
    instance_name = models.CharField(_("instance"), max_length=255, db_index=True)
    action = models.CharField(_("action"), max_length=16, choices=AuditAction.choices)
    job_id = models.PositiveBigIntegerField(_("job id"), null=True, blank=True)
    authorized = models.BooleanField(_("authorized"), default=True)
    details = models.TextField(_("details"), blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [models.Index(fields=["requester", "-created"], name="auditlog_requester_created")]

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M} {self.requester} {self.action} {self.cluster_slug}/{self.instance_name}"
