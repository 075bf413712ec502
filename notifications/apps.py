from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """Mail to instance owners and its archive."""

    name = "notifications"
    verbose_name = _("Notifications")
