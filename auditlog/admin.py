"""Admin pages of the auditlog app: entries are read-only."""

from django.contrib import admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("created", "requester", "ip", "cluster_slug", "instance_name", "action", "job_id", "authorized")
    list_filter = ("action", "authorized", "cluster_slug")
    search_fields = ("instance_name", "requester__username", "details")
    date_hierarchy = "created"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
