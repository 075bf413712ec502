from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    """Statistics pages and their JSON."""

    name = "stats"
    verbose_name = _("Statistics")
