"""Forms of the ganeti app: the changes owners and administrators make to instances."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.forms import BootstrapMixin
from ganetimgr.validators import clean_hostname

__all__ = ["ReinstallForm", "RenameForm", "ConfigurationForm", "OwnersForm", "LockForm", "IsolationForm",
           "HVPARAM_CHOICES", "owner_tag_name_ok", "IMAGE_CHOICE_PREFIX"]

# KVM's values of the hypervisor parameters owners may change (Ganeti's constants.HT_* lists, the ones
# the old ganetimgr offered).
HVPARAM_CHOICES = {
    "nic_type": [("paravirtual", _("paravirtual (virtio)")), ("e1000", "Intel e1000"), ("rtl8139", "Realtek 8139"),
                 ("ne2k_pci", "NE2000 PCI")],
    "disk_type": [("paravirtual", _("paravirtual (virtio)")), ("scsi", "SCSI"), ("ide", "IDE")],
    "boot_order": [("disk", _("hard disk")), ("cdrom", _("CD-ROM")), ("network", _("network (PXE)"))],
}

# What Ganeti accepts in a tag: at most 128 characters out of [\w.+*/:@-].
_TAG_CHARS = re.compile(r"^[\w.+*/:@-]+$")


def owner_tag_name_ok(prefix: str, kind: str, name: str) -> bool:
    """Whether <prefix>:<kind>:<name> is a tag Ganeti accepts."""
    tag = f"{prefix}:{kind}:{name}"
    return len(tag) <= 128 and bool(_TAG_CHARS.match(tag))


# A reinstall choice naming an image of the OS catalogue (apply.images) rather than a cluster OS variant.
IMAGE_CHOICE_PREFIX = "image:"


class ReinstallForm(BootstrapMixin, forms.Form):
    """Reinstall: keep the instance's OS, or choose an image of the OS catalogue (as new instances get,
    values image:<key>), or one of the cluster's OS variants."""

    operating_system = forms.ChoiceField(label=_("Operating system"), required=False)

    def __init__(self, *args, os_variants=(), current_os="", images=(), **kwargs):
        super().__init__(*args, **kwargs)
        keep = _("Keep the same OS (%(os)s)") % {"os": current_os} if current_os else _("Keep the same OS")
        choices = [("", keep)]
        if images:
            choices.append((_("Images"), [(IMAGE_CHOICE_PREFIX + key, label) for key, label in images]))
        if os_variants:
            choices.append((_("The cluster's OS variants"), [(name, name) for name in os_variants]))
        self.fields["operating_system"].choices = choices


class RenameForm(BootstrapMixin, forms.Form):
    new_name = forms.CharField(label=_("New name"), max_length=253,
                               help_text=_("A fully qualified host name, e.g. vm2.example.org."))

    def __init__(self, *args, current_name="", **kwargs):
        super().__init__(*args, **kwargs)
        self.current_name = current_name

    def clean_new_name(self):
        name = clean_hostname(self.cleaned_data["new_name"])
        if name == self.current_name:
            raise ValidationError(_("This is the instance's name already."), code="same")
        return name


class ConfigurationForm(BootstrapMixin, forms.Form):
    """Hypervisor parameters an owner may change. Only the fields whose parameter the instance's
    hypervisor has are kept (a Xen or fake-hypervisor instance has none of KVM's)."""

    nic_type = forms.ChoiceField(label=_("Network card model"), choices=HVPARAM_CHOICES["nic_type"])
    disk_type = forms.ChoiceField(label=_("Disk bus"), choices=HVPARAM_CHOICES["disk_type"])
    boot_order = forms.ChoiceField(label=_("Boot device"), choices=HVPARAM_CHOICES["boot_order"])
    cdrom_image_path = forms.CharField(
        label=_("CD-ROM image URL"), required=False, max_length=1024,
        help_text=_("An ISO image over http or https, e.g. https://mirror.example.org/debian.iso; empty "
                    "removes the CD-ROM. The virtual machine's host downloads it when the instance starts."))
    use_localtime = forms.BooleanField(label=_("Hardware clock in local time"), required=False,
                                       help_text=_("Usually wanted by Windows guests."))

    PARAMS = ("nic_type", "disk_type", "boot_order", "cdrom_image_path", "use_localtime")

    def __init__(self, *args, hvparams: dict | None = None, **kwargs):
        hvparams = hvparams or {}
        self.current = {key: hvparams.get(key) for key in self.PARAMS if key in hvparams}
        initial = {key: ("" if value is None else value) for key, value in self.current.items()}
        super().__init__(*args, initial=initial, **kwargs)
        for key in self.PARAMS:
            if key not in self.current:
                del self.fields[key]
                continue
            field = self.fields[key]
            value = self.current[key]
            # A value set outside ganetimgr (gnt-instance modify) stays selectable, not silently replaced.
            if isinstance(field, forms.ChoiceField) and value and value not in dict(field.choices):
                field.choices = [*field.choices, (value, value)]

    def clean_cdrom_image_path(self):
        url = self.cleaned_data["cdrom_image_path"].strip()
        if not url or url == self.current.get("cdrom_image_path"):
            return url
        parts = urlsplit(url)
        if (parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password
                or re.search(r"\s", url)):
            raise ValidationError(_("Enter an http or https address of an ISO image, without user name or "
                                    "password."), code="url")
        allowed = [host.lower() for host in settings.CDROM_IMAGE_HOSTS]
        if allowed and parts.hostname.lower() not in allowed:
            raise ValidationError(_("Images may come only from: %(hosts)s."), params={"hosts": ", ".join(allowed)},
                                  code="host")
        return url

    def clean(self):
        data = super().clean()
        boot = data.get("boot_order")
        cdrom = data.get("cdrom_image_path", self.current.get("cdrom_image_path"))
        if boot == "cdrom" and not cdrom:
            self.add_error("boot_order", ValidationError(_("Booting from the CD-ROM needs a CD-ROM image URL."),
                                                         code="no_cdrom"))
        return data

    def changes(self) -> dict:
        """The parameters whose value differs from the instance's."""
        changed = {}
        for key in self.fields:
            value = self.cleaned_data[key]
            current = self.current.get(key)
            if key == "use_localtime":
                current = bool(current)
            elif current is None:
                current = ""
            if value != current:
                changed[key] = value
        return changed


class OwnersForm(forms.Form):
    """The wanted owners: `owners` values u:<username> / g:<groupname>. Names already on the instance
    are kept even when unknown here (a user deleted meanwhile); new ones must be an active user or a
    group whose name Ganeti accepts in a tag."""

    owners = forms.MultipleChoiceField(required=False)

    def __init__(self, *args, current_users=(), current_groups=(), may_leave_none=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.current_users = set(current_users)
        self.current_groups = set(current_groups)
        self.may_leave_none = may_leave_none
        self.fields["owners"].choices = [(f"u:{n}", n) for n in sorted(self.current_users)] + [
            (f"g:{n}", n) for n in sorted(self.current_groups)]
        self.fields["owners"].valid_value = lambda value: True  # checked in clean_owners

    def clean_owners(self):
        prefix = settings.GANETI_TAG_PREFIX
        users, groups, errors = set(), set(), []
        for value in self.cleaned_data["owners"]:
            kind, _sep, name = value.partition(":")
            if kind not in ("u", "g") or not name:
                errors.append(ValidationError(_("%(value)s is not a user or a group."), params={"value": value}))
                continue
            (users if kind == "u" else groups).add(name)
        new_users = users - self.current_users
        new_groups = groups - self.current_groups
        known_users = set(get_user_model().objects.filter(username__in=new_users, is_active=True)
                          .values_list("username", flat=True))
        known_groups = set(Group.objects.filter(name__in=new_groups).values_list("name", flat=True))
        for name in sorted(new_users - known_users):
            errors.append(ValidationError(_("There is no active user %(name)s."), params={"name": name}))
        for name in sorted(new_groups - known_groups):
            errors.append(ValidationError(_("There is no group %(name)s."), params={"name": name}))
        for kind, names in (("user", new_users & known_users), ("group", new_groups & known_groups)):
            for name in sorted(names):
                if not owner_tag_name_ok(prefix, kind, name):
                    errors.append(ValidationError(
                        _("%(name)s cannot be written as a Ganeti tag (spaces or other characters Ganeti "
                          "refuses)."), params={"name": name}))
        if errors:
            raise ValidationError(errors)
        if not users and not groups and not self.may_leave_none:
            raise ValidationError(_("An instance needs at least one owner: add another before removing the last."),
                                  code="last_owner")
        return {"users": users, "groups": groups}


class LockForm(forms.Form):
    locked = forms.BooleanField(label=_("Admin lock"), required=False,
                                help_text=_("Owners cannot start, stop, change or remove a locked instance."))


class IsolationForm(BootstrapMixin, forms.Form):
    isolated = forms.BooleanField(label=_("Isolate from the network"), required=False)
    whitelist_ip = forms.CharField(
        label=_("Allow from"), required=False, max_length=64,
        help_text=_("While isolated, still allow traffic from this address or network, e.g. 192.0.2.0/28."))

    def clean_whitelist_ip(self):
        text = self.cleaned_data["whitelist_ip"].strip()
        if not text:
            return ""
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise ValidationError(_("Enter an IPv4 or IPv6 address or network, e.g. 192.0.2.0/28."),
                                  code="invalid") from None
        if network.network_address.is_unspecified:
            raise ValidationError(_("This would allow everyone."), code="unspecified")
        widest = settings.WHITELIST_IP_MAX_SUBNET_V4 if network.version == 4 else settings.WHITELIST_IP_MAX_SUBNET_V6
        if network.prefixlen < widest:
            raise ValidationError(_("The network may be no wider than /%(widest)d."), params={"widest": widest},
                                  code="too_wide")
        return network.with_prefixlen

    def clean(self):
        data = super().clean()
        if data.get("whitelist_ip") and not data.get("isolated"):
            self.add_error("whitelist_ip", ValidationError(_("An allowed address applies to isolated instances only."),
                                                           code="not_isolated"))
        return data
