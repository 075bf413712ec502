from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Cluster, Network
from .services import cluster_save, cluster_set_disabled


class ClusterAdminForm(forms.ModelForm):
    """The RAPI password is write-only: typed in, stored encrypted, never shown back."""

    new_password = forms.CharField(
        label=_("RAPI password"), required=False, strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = Cluster
        fields = ["hostname", "slug", "port", "description", "username", "new_password", "fast_create",
                  "use_gnt_network", "disable_instance_creation", "disabled"]

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
    actions = ["enable_clusters", "disable_clusters"]

    def save_model(self, request, obj, form, change):
        cluster_save(cluster=obj, new_password=form.cleaned_data.get("new_password", ""))

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
    autocomplete_fields = ["cluster"]
