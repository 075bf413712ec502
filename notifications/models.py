"""Models of the notifications app. The archive comes with its own issue; its permission exists already."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationPermissions(models.Model):
    """No table: holds the notifications app's permissions, so they can be given in the admin."""

    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = _("notification permission")
        permissions = [("can_view_notif", _("Can view notifications"))]
