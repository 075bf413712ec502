"""Admin pages of the apply app: organizations and instance applications."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import InstanceApplication, Organization, QueueProblem


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["title", "tag", "email", "phone", "website"]
    search_fields = ["title", "tag", "email"]
    prepopulated_fields = {"tag": ["title"]}


@admin.register(InstanceApplication)
class InstanceApplicationAdmin(admin.ModelAdmin):
    list_display = ["id", "hostname", "applicant", "status", "cluster", "memory", "vcpus", "disk_size", "filed_at"]
    list_filter = ["status", "cluster", "organization"]
    search_fields = ["hostname", "applicant__username", "applicant__email", "comments"]
    date_hierarchy = "filed_at"
    raw_id_fields = ["applicant", "reviewer"]
    readonly_fields = ["job_id", "backend_message", "reviewer", "reviewed_at", "submitted_at", "finished_at",
                       "filed_at", "updated_at", "language"]
    fieldsets = [
        (_("The instance"), {"fields": ["hostname", "memory", "vcpus", "disk_size", "operating_system",
                                        "hosts_mail_server", "comments", "network"]}),
        (_("Owner"), {"fields": ["applicant", "language", "organization", "admin_contact_name",
                                 "admin_contact_email", "admin_contact_phone"]}),
        (_("Placement"), {"fields": ["cluster", "disk_template", "node_group", "network_name", "nic_link",
                                     "nic_mode", "volume_group"]}),
        (_("Review and progress"), {"fields": ["status", "reviewer", "admin_comments", "refusal_reason", "job_id",
                                               "backend_message", "filed_at", "reviewed_at", "submitted_at",
                                               "finished_at", "updated_at"]}),
    ]


# -- watcher: messages the watcher buried ------------------------------------------------------

@admin.register(QueueProblem)
class QueueProblemAdmin(admin.ModelAdmin):
    """Buried queue messages: what the watcher could not handle, and why; tick `resolved` once dealt with."""

    list_display = ["created_at", "message_type", "reason", "application", "resolved"]
    list_filter = ["resolved", "message_type"]
    list_editable = ["resolved"]
    search_fields = ["reason", "body"]
    readonly_fields = ["created_at", "message_type", "body", "reason", "application"]

    def has_add_permission(self, request):
        return False
