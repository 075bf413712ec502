from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplyConfig(AppConfig):
    """Instance applications, organizations and the OS image catalogue."""

    name = "apply"
    verbose_name = _("Applications")
