"""Admin pages of the apply app: none yet."""


# -- watcher (H5b): messages the watcher buried ------------------------------------------------------

from django.contrib import admin  # noqa: E402

from .models import QueueProblem  # noqa: E402


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
