"""Forms of the apply app: the user's application, and the admin's review (also the superuser's fast creation)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from ganeti.models import Cluster
from ganetimgr.validators import clean_hostname

from . import images, selectors
from .models import InstanceApplication, Organization

__all__ = ["ApplicationForm", "ReviewForm", "RefuseForm"]


def _check_hostname_free(name: str, *, exclude_pk=None) -> None:
    taken = selectors.hostname_in_use(name, exclude_pk=exclude_pk)
    if taken == "instance":
        raise ValidationError(_("An instance named %(name)s exists already."), code="taken", params={"name": name})
    if taken == "application":
        raise ValidationError(_("An application for %(name)s is already open."), code="taken", params={"name": name})


def _bounded(field: forms.IntegerField, bounds: tuple[int, int]) -> None:
    low, high = bounds
    field.min_value, field.max_value = low, high
    field.validators = [v for v in field.validators if not isinstance(v, (MinValueValidator, MaxValueValidator))]
    field.validators += [MinValueValidator(low), MaxValueValidator(high)]
    field.widget.attrs.update(min=low, max=high)
    field.help_text = _("From %(low)s to %(high)s.") % {"low": low, "high": high}


def _bootstrap(fields) -> None:
    """Bootstrap's classes on the widgets."""
    for field in fields.values():
        if isinstance(field.widget, forms.CheckboxInput):
            field.widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(field.widget, forms.Select):
            field.widget.attrs.setdefault("class", "form-select")
        else:
            field.widget.attrs.setdefault("class", "form-control")


class _ResourcesMixin:
    """memory, vcpus, disk_size bounded by `limits`; operating_system from the catalogue."""

    def _setup_resources(self, limits: dict, os_initial: str | None = None):
        for name in ("memory", "vcpus", "disk_size"):
            _bounded(self.fields[name], limits[name])
        choices = images.os_choices()
        if os_initial and os_initial not in dict(choices):
            # An OS no longer in the catalogue: shown so the reviewer sees what was asked, refused when saved.
            choices = [(os_initial, _("%(key)s (no longer offered)") % {"key": os_initial}), *choices]
        self.fields["operating_system"] = forms.ChoiceField(label=_("Operating system"), choices=choices)

    def clean_operating_system(self):
        key = self.cleaned_data["operating_system"]
        if key not in images.operating_systems():
            raise ValidationError(_("This operating system is not offered (any more)."), code="unknown_os")
        return key


class ApplicationForm(_ResourcesMixin, forms.ModelForm):
    """What a user asks for. Bounds are the widest the clusters open for creation allow."""

    accept_terms = forms.BooleanField(label=_("I accept the terms of service"), required=True)

    class Meta:
        model = InstanceApplication
        fields = ["hostname", "memory", "vcpus", "disk_size", "operating_system", "hosts_mail_server", "network",
                  "comments", "organization", "admin_contact_name", "admin_contact_email", "admin_contact_phone"]
        labels = {"memory": _("Memory (MiB)"), "disk_size": _("Disk size (GiB)"), "vcpus": _("Virtual CPUs"),
                  "network": _("Network")}
        help_texts = {"hostname": _("The fully qualified name of the new machine, e.g. vm1.example.org."),
                      "comments": _("What the machine is for.")}
        widgets = {"comments": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self._setup_resources(selectors.resource_limits())
        self.fields["comments"].required = True
        networks = selectors.networks_for_user(user)
        if networks.exists():
            self.fields["network"].queryset = networks
            self.fields["network"].required = False
        else:
            del self.fields["network"]
        if settings.SHOW_ORGANIZATION_FORM:
            self.fields["organization"].queryset = Organization.objects.all()
        else:
            del self.fields["organization"]
        if not settings.SHOW_ADMINISTRATIVE_FORM:
            for name in ("admin_contact_name", "admin_contact_email", "admin_contact_phone"):
                del self.fields[name]
        _bootstrap(self.fields)

    def clean_hostname(self):
        name = clean_hostname(self.cleaned_data.get("hostname"))
        _check_hostname_free(name)
        return name

    def clean(self):
        data = super().clean()
        org_form, admin_form = settings.SHOW_ORGANIZATION_FORM, settings.SHOW_ADMINISTRATIVE_FORM
        contact = [data.get(n) for n in ("admin_contact_name", "admin_contact_email", "admin_contact_phone")]
        has_contact = all(contact)
        if org_form and admin_form:
            if not data.get("organization") and not has_contact:
                raise ValidationError(_("Choose an organization or give the administrative contact's name, "
                                        "e-mail and telephone."), code="no_contact")
        elif org_form and not data.get("organization") and "organization" not in self.errors:
            self.add_error("organization", ValidationError(_("Choose an organization."), code="required"))
        elif admin_form and not has_contact:
            raise ValidationError(_("Give the administrative contact's name, e-mail and telephone."),
                                  code="no_contact")
        return data


class ReviewForm(_ResourcesMixin, forms.ModelForm):
    """The reviewer's form: resources, and where the instance goes (cluster, disk template, node group,
    network, volume group). The placement choices come from the chosen cluster; bounds from its ipolicy."""

    network_choice = forms.ChoiceField(label=_("Network"), required=False)

    class Meta:
        model = InstanceApplication
        fields = ["hostname", "memory", "vcpus", "disk_size", "operating_system", "hosts_mail_server",
                  "organization", "admin_comments", "cluster", "disk_template", "node_group", "volume_group"]
        labels = {"memory": _("Memory (MiB)"), "disk_size": _("Disk size (GiB)"), "vcpus": _("Virtual CPUs")}
        widgets = {"admin_comments": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, cluster: Cluster | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        clusters = selectors.creation_clusters()
        self.fields["cluster"].queryset = clusters
        self.fields["cluster"].required = True
        self.fields["cluster"].empty_label = _("Choose a cluster")
        if cluster is None:
            cluster_pk = selectors.pk_or_none(self.data.get(self.add_prefix("cluster"))) if self.is_bound else None
            if cluster_pk is not None:
                cluster = clusters.filter(pk=cluster_pk).first()
            elif self.instance.cluster_id:
                cluster = clusters.filter(pk=self.instance.cluster_id).first()
            elif clusters.count() == 1:
                cluster = clusters.first()
        self.cluster = cluster
        self.placement = selectors.placement_options(cluster) if cluster is not None else None
        if cluster is not None:
            self.initial.setdefault("cluster", cluster.pk)
        limits = dict(selectors.resource_limits([cluster] if cluster else None))
        self._setup_resources(limits, self.instance.operating_system or None)
        self._setup_placement()
        _bootstrap(self.fields)

    def _setup_placement(self):
        placement = self.placement
        templates = placement.disk_templates if placement else []
        self.fields["disk_template"] = forms.ChoiceField(
            label=_("Disk template"), choices=[(t, t) for t in templates],
            initial=self.instance.disk_template or (placement.default_disk_template if placement else ""))
        groups = placement.node_groups if placement else []
        self.fields["node_group"] = forms.ChoiceField(
            label=_("Node group"), required=False,
            choices=[("", _("Any (Ganeti's allocator decides)"))] + [(name, name) for name, ok in groups if ok])
        vgs = placement.volume_groups if placement else []
        self.fields["volume_group"] = forms.ChoiceField(
            label=_("Volume group"), required=False, choices=[("", _("The cluster's default"))] + [(v, v) for v in vgs],
            help_text=_("For the plain and drbd disk templates only."))
        networks = placement.networks if placement else []
        choices = [("", _("The cluster's default"))]
        for value, label, free, usable in networks:
            if free is not None:
                label = _("%(network)s: %(free)s free addresses") % {"network": label, "free": free}
            if usable:
                choices.append((value, label))
        self.fields["network_choice"].choices = choices
        current = (f"net:{self.instance.network_name}" if self.instance.network_name else
                   f"link:{self.instance.nic_link}::{self.instance.nic_mode}" if self.instance.nic_link else
                   (placement.default_network if placement else ""))
        self.fields["network_choice"].initial = current
        if self.instance.network_id and not self.instance.nic_link and not self.instance.network_name:
            # The applicant's requested (static) network, when it belongs to this cluster.
            requested = f"link:{self.instance.network.link}::{self.instance.network.mode}"
            if requested in dict(choices):
                self.fields["network_choice"].initial = requested

    def clean_hostname(self):
        name = clean_hostname(self.cleaned_data.get("hostname"))
        _check_hostname_free(name, exclude_pk=self.instance.pk)
        return name

    def clean_cluster(self):
        cluster = self.cleaned_data.get("cluster")
        placement = self.placement
        if cluster is not None and placement is not None and placement.errors and not placement.disk_templates:
            raise ValidationError(_("This cluster cannot be used now: %(error)s"),
                                  params={"error": " ".join(self.placement.errors)}, code="cluster_down")
        return cluster

    def clean(self):
        data = super().clean()
        choice = data.get("network_choice") or ""
        self.instance.network_name = self.instance.nic_link = self.instance.nic_mode = ""
        if choice.startswith("net:"):
            self.instance.network_name = choice[4:]
            self.instance.nic_mode = "routed"
        elif choice.startswith("link:"):
            link, _sep, mode = choice[5:].rpartition("::")
            self.instance.nic_link, self.instance.nic_mode = link, mode
        if data.get("disk_template") not in ("plain", "drbd"):
            data["volume_group"] = ""
        return data


class RefuseForm(forms.Form):
    refusal_reason = forms.CharField(
        label=_("Reason for the refusal"), widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        help_text=_("Mailed to the applicant."))
