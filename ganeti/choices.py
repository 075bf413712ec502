"""The ganeti app's vocabulary."""

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["NetworkModeChoices", "TlsModeChoices"]


class NetworkModeChoices(models.TextChoices):
    """How Ganeti attaches a NIC (the nic `mode` parameter)."""

    BRIDGED = "bridged", _("bridged")
    ROUTED = "routed", _("routed")


class TlsModeChoices(models.TextChoices):
    """How the RAPI's certificate is checked. Ganeti's own is self-signed, hence pinning by default."""

    PIN = "pin", _("pin the certificate seen at first contact")
    CA = "ca", _("verify with the system's certificate authorities")
    OFF = "off", _("do not verify (testing only)")
