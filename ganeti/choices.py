"""The ganeti app's vocabulary."""

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["NetworkModeChoices"]


class NetworkModeChoices(models.TextChoices):
    """How Ganeti attaches a NIC (the nic `mode` parameter)."""

    BRIDGED = "bridged", _("bridged")
    ROUTED = "routed", _("routed")
