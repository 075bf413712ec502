from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GanetiConfig(AppConfig):
    """Clusters, networks, instances, nodes, jobs, console, graphs and the OAuth2 API."""

    name = "ganeti"
    verbose_name = _("Ganeti")
