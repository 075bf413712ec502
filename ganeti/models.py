"""Clusters and networks: the only Ganeti things kept in the database.

Instances, nodes and jobs live on the clusters; the Ganeti layer reads them through RAPI.
"""

import ipaddress

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ganetimgr.crypto import decrypt_secret, encrypt_secret

from .choices import NetworkModeChoices, TlsModeChoices

__all__ = ["Cluster", "InstanceAction", "InstanceActionRequest", "Network"]

RAPI_DEFAULT_PORT = 5080

hostname_validator = RegexValidator(
    regex=r"^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?$"
    r"|^\d{1,3}(\.\d{1,3}){3}$|^\[?[0-9A-Fa-f:]+\]?$",
    message=_("Enter a host name (e.g. cluster.example.org) or an IP address."),
)


class Cluster(models.Model):
    """A Ganeti cluster reached through its RAPI (HTTPS, basic auth)."""

    hostname = models.CharField(
        _("hostname"), max_length=128, validators=[hostname_validator],
        help_text=_("The cluster's RAPI address: its master name or IP."),
    )
    slug = models.SlugField(_("slug"), max_length=50, unique=True, help_text=_("Short name used in URLs."))
    port = models.PositiveIntegerField(
        _("port"), default=RAPI_DEFAULT_PORT, validators=[MinValueValidator(1), MaxValueValidator(65535)],
    )
    description = models.CharField(
        _("description"), max_length=128, blank=True, help_text=_("What users see instead of the slug."),
    )
    username = models.CharField(_("RAPI username"), max_length=64, blank=True)
    password_encrypted = models.TextField(_("RAPI password (encrypted)"), blank=True, editable=False)
    fast_create = models.BooleanField(
        _("fast instance creation"), default=False,
        help_text=_("Superusers may create instances here in one step, without an application."),
    )
    use_gnt_network = models.BooleanField(
        _("use Ganeti networks"), default=True,
        help_text=_("Attach routed NICs by Ganeti network name instead of by link."),
    )
    disable_instance_creation = models.BooleanField(
        _("disable instance creation"), default=False,
        help_text=_("Hide this cluster when applications are reviewed."),
    )
    disabled = models.BooleanField(_("disabled"), default=False, help_text=_("Ignore this cluster everywhere."))
    tls_mode = models.CharField(
        _("certificate check"), max_length=8, choices=TlsModeChoices.choices, default=TlsModeChoices.PIN,
        help_text=_("Ganeti's RAPI certificate is self-signed: pinning accepts only the certificate seen first."),
    )
    tls_fingerprint = models.CharField(
        _("pinned certificate (SHA-256)"), max_length=95, blank=True, editable=False,
        help_text=_("Recorded at the first contact with the cluster."),
    )

    class Meta:
        ordering = ["slug"]
        verbose_name = _("cluster")
        verbose_name_plural = _("clusters")
        permissions = [
            ("view_instances", _("Can view all instances")),
            ("can_lock", _("Can lock instances")),
            ("can_isolate", _("Can isolate instances")),
            ("view_all_graphs", _("Can view all graphs")),
        ]

    def __str__(self) -> str:
        return self.description or self.slug

    @property
    def password(self) -> str:
        """The RAPI password in clear, for the RAPI client only."""
        return decrypt_secret(self.password_encrypted)

    @password.setter
    def password(self, value: str) -> None:
        self.password_encrypted = encrypt_secret(value) if value else ""

    @property
    def has_password(self) -> bool:
        return bool(self.password_encrypted)

    @property
    def rapi_base_url(self) -> str:
        host = f"[{self.hostname.strip('[]')}]" if ":" in self.hostname else self.hostname
        return f"https://{host}:{self.port}"


def normalize_ipv6_prefix(value: str) -> str:
    """'2001:db8:1::' or '2001:db8:1::/64' -> '2001:db8:1::/64'; only /64 can give EUI-64 addresses."""
    text = value.strip()
    if not text:
        return ""
    if "/" not in text:
        text += "/64"
    try:
        network = ipaddress.IPv6Network(text, strict=True)
    except ValueError as exc:
        raise ValidationError(_("Enter an IPv6 prefix such as 2001:db8:1::/64 (%(error)s).") % {"error": exc})
    if network.prefixlen != 64:
        raise ValidationError(_("The IPv6 prefix must be a /64, so that addresses can be derived from MACs."))
    return network.with_prefixlen


class Network(models.Model):
    """A network instances can be attached to, by bridge/link name, on one cluster."""

    description = models.CharField(_("description"), max_length=255)
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="networks",
                                verbose_name=_("cluster"))
    link = models.CharField(_("link"), max_length=255, help_text=_("The bridge or routing table name, e.g. br0."))
    mode = models.CharField(_("mode"), max_length=64, choices=NetworkModeChoices.choices,
                            default=NetworkModeChoices.BRIDGED)
    cluster_default = models.BooleanField(
        _("cluster default"), default=False, help_text=_("Used for new instances when no network is chosen."),
    )
    ipv6_prefix = models.CharField(
        _("IPv6 prefix"), max_length=255, blank=True,
        help_text=_("The /64 of this link (e.g. 2001:db8:1::/64), to show instances' EUI-64 addresses."),
    )
    groups = models.ManyToManyField(
        Group, blank=True, related_name="networks", verbose_name=_("groups"),
        help_text=_("Members of these groups may choose this network when they apply for an instance."),
    )

    class Meta:
        ordering = ["cluster__slug", "description"]
        verbose_name = _("network")
        verbose_name_plural = _("networks")
        constraints = [
            models.UniqueConstraint(
                fields=["cluster"], condition=Q(cluster_default=True), name="one_default_network_per_cluster",
                violation_error_message=_("This cluster already has a default network."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} ({self.link}, {self.get_mode_display()})"

    def clean(self) -> None:
        try:
            self.ipv6_prefix = normalize_ipv6_prefix(self.ipv6_prefix)
        except ValidationError as exc:
            raise ValidationError({"ipv6_prefix": exc.messages}) from None


# -- instance changes ------------------------------------------------------------------------


class InstanceAction(models.TextChoices):
    """The changes an owner confirms through an e-mailed link before they run."""

    REINSTALL = "reinstall", _("reinstall")
    DESTROY = "destroy", _("destroy")
    RENAME = "rename", _("rename")


class InstanceActionRequest(models.Model):
    """A reinstall, destroy or rename an owner asked for, waiting for the e-mailed link to be confirmed.

    Only a hash of the link's secret is stored: whoever reads the database cannot confirm a request.
    A request is pending until it is used, voided (a newer request of the same kind for the same
    instance) or past `expires_at` (INSTANCE_ACTION_ACTIVE_DAYS after it was made)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="instance_action_requests", verbose_name=_("requested by"))
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="action_requests",
                                verbose_name=_("cluster"))
    instance_name = models.CharField(_("instance"), max_length=255)
    instance_uuid = models.CharField(
        _("instance UUID"), max_length=64, blank=True,
        help_text=_("Ganeti's UUID of the instance asked about: a link never acts on another instance that "
                    "later took the same name."))
    action = models.CharField(_("action"), max_length=16, choices=InstanceAction.choices)
    new_name = models.CharField(_("new name"), max_length=255, blank=True, help_text=_("Renames only."))
    operating_system = models.CharField(
        _("operating system"), max_length=255, blank=True,
        help_text=_("Reinstalls only: the OS variant to install; empty keeps the instance's own."))
    token_hash = models.CharField(_("link hash"), max_length=64, unique=True, editable=False,
                                  help_text=_("SHA-256 of the e-mailed link's secret; the secret is not kept."))
    created = models.DateTimeField(_("requested"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided"), null=True, blank=True,
                                     help_text=_("Replaced by a newer request of the same kind."))
    job_id = models.PositiveBigIntegerField(_("job id"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("confirmed instance action")
        verbose_name_plural = _("confirmed instance actions")
        indexes = [models.Index(fields=["cluster", "instance_name", "action"], name="ganeti_action_instance")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.cluster.slug}/{self.instance_name} ({self.user})"

    @property
    def is_pending(self) -> bool:
        return self.used_at is None and self.voided_at is None and self.expires_at > timezone.now()
