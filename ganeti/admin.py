from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .choices import TlsModeChoices
from .models import Cluster, InstanceActionRequest, Network
from .rapi.client import GanetiApiError
from .services import cluster_forget_certificate, cluster_pin_certificate, cluster_save, cluster_set_disabled


class ClusterAdminForm(forms.ModelForm):
    """The RAPI password is write-only: typed in, stored encrypted, never shown back."""

    new_password = forms.CharField(
        label=_("RAPI password"), required=False, strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = Cluster
        fields = ["hostname", "slug", "port", "description", "username", "new_password", "fast_create",
                  "use_gnt_network", "disable_instance_creation", "disabled", "tls_mode"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.has_password:
            self.fields["new_password"].help_text = _(
                "A password is stored. Leave this empty to keep it (clearing the RAPI username removes it)."
            )
        else:
            self.fields["new_password"].help_text = _("Stored encrypted; it is never shown again.")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("username") and not cleaned.get("new_password") and not self.instance.has_password:
            self.add_error("new_password", _("Enter the RAPI password of this user."))
        return cleaned


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    form = ClusterAdminForm
    list_display = ["hostname", "slug", "port", "description", "disabled"]
    list_editable = ["disabled"]
    list_filter = ["disabled", "disable_instance_creation"]
    search_fields = ["hostname", "slug", "description"]
    prepopulated_fields = {"slug": ["hostname"]}
    readonly_fields = ["tls_fingerprint"]
    actions = ["enable_clusters", "disable_clusters", "forget_certificates"]

    def save_model(self, request, obj, form, change):
        cluster_save(cluster=obj, new_password=form.cleaned_data.get("new_password", ""))
        # From the cluster's own form only: saving the list's "disabled" column must not wait for clusters.
        own_form = "hostname" in form.fields
        if own_form and obj.tls_mode == TlsModeChoices.PIN and not obj.tls_fingerprint:
            try:
                cluster_pin_certificate(cluster=obj)
            except GanetiApiError as exc:
                self.message_user(request, _("The certificate of %(cluster)s could not be read (%(error)s); it will be "
                                             "pinned at the first contact.") % {"cluster": obj, "error": exc},
                                  messages.WARNING)
            else:
                self.message_user(request, _("Pinned the certificate of %(cluster)s: %(fingerprint)s. Compare it with "
                                             "the cluster's (openssl x509 -noout -fingerprint -sha256 -in "
                                             "/var/lib/ganeti/rapi.pem).") % {"cluster": obj,
                                                                              "fingerprint": obj.tls_fingerprint},
                                  messages.INFO)

    @admin.action(description=_("Forget the pinned certificates (after a renewal)"))
    def forget_certificates(self, request, queryset):
        changed = cluster_forget_certificate(clusters=list(queryset))
        self.message_user(request, ngettext("%(count)d certificate forgotten; it is pinned again at the next contact.",
                                            "%(count)d certificates forgotten; they are pinned again at the next contact.",
                                            changed) % {"count": changed}, messages.SUCCESS)

    @admin.action(description=_("Enable the selected clusters"))
    def enable_clusters(self, request, queryset):
        self._set_disabled(request, queryset, False)

    @admin.action(description=_("Disable the selected clusters"))
    def disable_clusters(self, request, queryset):
        self._set_disabled(request, queryset, True)

    def _set_disabled(self, request, queryset, disabled):
        changed = cluster_set_disabled(clusters=list(queryset), disabled=disabled)
        text = (ngettext("%(count)d cluster disabled.", "%(count)d clusters disabled.", changed) if disabled
                else ngettext("%(count)d cluster enabled.", "%(count)d clusters enabled.", changed))
        self.message_user(request, text % {"count": changed}, messages.SUCCESS)


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    list_display = ["description", "cluster", "link", "mode", "cluster_default", "ipv6_prefix"]
    list_filter = ["cluster", "mode", "cluster_default"]
    search_fields = ["description", "link", "ipv6_prefix"]
    filter_horizontal = ["groups"]


# -- instance changes ------------------------------------------------------------------------


@admin.register(InstanceActionRequest)
class InstanceActionRequestAdmin(admin.ModelAdmin):
    """E-mailed confirmations, read-only: a link's secret is not stored, so none can be made or used here."""

    list_display = ["created", "action", "cluster", "instance_name", "user", "new_name", "operating_system",
                    "expires_at", "used_at", "voided_at", "job_id"]
    list_filter = ["action", "cluster"]
    search_fields = ["instance_name", "new_name", "user__username"]
    date_hierarchy = "created"
    readonly_fields = ["user", "cluster", "instance_name", "instance_uuid", "action", "new_name", "operating_system",
                       "created", "expires_at", "used_at", "voided_at", "job_id"]
    exclude = ["token_hash"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
