"""Models of the apply app. Applications come with their own issue; their permission exists already."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ApplyPermissions(models.Model):
    """No table: holds the apply app's permissions, so they can be given to users and groups in the admin."""

    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = _("application permission")
        permissions = [("view_applications", _("Can view all applications"))]
