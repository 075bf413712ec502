"""Models of the notifications app: the archive of every notification sent, and the app's permission."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationPermissions(models.Model):
    """No table: holds the notifications app's permissions, so they can be given in the admin."""

    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = _("notification permission")
        permissions = [("can_view_notif", _("Can view notifications"))]


class Notification(models.Model):
    """One notification as it was sent: written for every send, whatever became of each mail."""

    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="notifications_sent", verbose_name=_("sender"))
    subject = models.CharField(_("subject"), max_length=150)
    body = models.TextField(_("message"), help_text=_("As written: a Django template rendered for each recipient."))
    # What was chosen in the form (u_<pk>, g_<pk>, i_<cluster>/<instance>, c_, n_, ng_ ids) ...
    recipient_ids = models.JSONField(_("chosen recipients"), default=list, blank=True)
    # ... the users it reached (who may be renamed or deleted later) and the addresses it went to.
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="notifications_received",
                                        verbose_name=_("recipients"))
    addresses = models.JSONField(_("addresses"), default=list, blank=True)
    failed_addresses = models.JSONField(_("addresses that failed"), default=list, blank=True)
    sent_count = models.PositiveIntegerField(_("sent"), default=0)
    failed_count = models.PositiveIntegerField(_("failed"), default=0)
    created = models.DateTimeField(_("sent at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.subject
