from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GanetimgrConfig(AppConfig):
    """The project package as an app: its templates, template tags and management commands."""

    name = "ganetimgr"
    verbose_name = _("ganetimgr")
