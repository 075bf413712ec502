from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditlogConfig(AppConfig):
    """Audit entries and users' history."""

    name = "auditlog"
    verbose_name = _("Audit log")
