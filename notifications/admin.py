"""The archive in the admin: read-only, as it records what was sent."""

from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["subject", "sender", "created", "sent_count", "failed_count"]
    list_filter = ["created"]
    search_fields = ["subject", "body", "sender__username"]
    date_hierarchy = "created"
    readonly_fields = ["sender", "subject", "body", "recipient_ids", "recipients", "addresses", "failed_addresses",
                       "sent_count", "failed_count", "created"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
