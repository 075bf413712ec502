"""Admin pages of the accounts app: profiles and SSH keys beside the users; groups with ganetimgr's permissions."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, Permission, User
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import SshKey, UserProfile

# The permissions ganetimgr itself checks, shown apart in the group form (app label, codename).
GANETIMGR_PERMISSIONS = [
    ("ganeti", "view_instances"),
    ("ganeti", "can_lock"),
    ("ganeti", "can_isolate"),
    ("ganeti", "view_all_graphs"),
    ("apply", "view_applications"),
    ("notifications", "can_view_notif"),
]


def ganetimgr_permissions():
    query = Q(pk__in=[])
    for app_label, codename in GANETIMGR_PERMISSIONS:
        query |= Q(content_type__app_label=app_label, codename=codename)
    return Permission.objects.filter(query).select_related("content_type").order_by("name")


class PermissionByName(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.content_type.app_label}.{obj.codename})"


class GroupForm(forms.ModelForm):
    """The group form with ganetimgr's own permissions as named checkboxes above Django's long list."""

    ganetimgr_permissions = PermissionByName(
        queryset=Permission.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        label=_("ganetimgr permissions"),
        help_text=_("What helpdesk and administrators may do in ganetimgr itself."))

    class Meta:
        model = Group
        fields = ["name", "permissions"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        own = ganetimgr_permissions()
        self.fields["ganetimgr_permissions"].queryset = own
        if "permissions" in self.fields:
            self.fields["permissions"].queryset = self.fields["permissions"].queryset.exclude(pk__in=own)
            self.fields["permissions"].label = _("Other permissions (the admin's models)")
        if self.instance.pk:
            self.initial["ganetimgr_permissions"] = list(self.instance.permissions.filter(pk__in=own))

    def save(self, commit=True):
        group = super().save(commit=commit)
        chosen = self.cleaned_data.get("ganetimgr_permissions") or []
        original_save_m2m = getattr(self, "save_m2m", None)

        def save_m2m():
            if original_save_m2m:
                original_save_m2m()
            group.permissions.remove(*ganetimgr_permissions())
            group.permissions.add(*chosen)

        if commit:
            save_m2m()
        else:
            self.save_m2m = save_m2m
        return group


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin):
    form = GroupForm
    fieldsets = [(None, {"fields": ["name", "ganetimgr_permissions", "permissions"]})]


class UserProfileInline(admin.StackedInline):
    model = UserProfile
    can_delete = False
    fields = ["organization", "telephone", "first_login", "directory_user"]


class SshKeyInline(admin.TabularInline):
    model = SshKey
    extra = 0
    fields = ["key_type", "fingerprint", "comment", "created"]
    readonly_fields = fields
    can_delete = True

    def has_add_permission(self, request, obj=None):
        return False


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [UserProfileInline, SshKeyInline]
