"""Writes of the notifications app: sending a notification, one mail per address, and archiving it."""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction

from .models import Notification
from .selectors import RecipientId, Resolution
from .templating import compile_body, render_body

__all__ = ["notification_send"]

log = logging.getLogger(__name__)

# What the mail backend raises when a message cannot go (refused address, server away, timeout), and
# what Django's address handling raises for an address it will not write into a header (a newline).
MAIL_ERRORS = (OSError, smtplib.SMTPException, ValueError)


def notification_send(*, sender, subject: str, body: str, recipient_ids: list[RecipientId],
                      resolution: Resolution) -> Notification:
    """Render the body for each recipient and mail it to them alone (From SERVER_EMAIL, Reply-To the
    sender), all over one SMTP connection. A recipient whose mail fails is counted and named, the others
    still get theirs; the archive row is written whatever happened."""
    template = compile_body(body)
    full_subject = settings.EMAIL_SUBJECT_PREFIX + " ".join(subject.splitlines())
    reply_to = [sender.email] if getattr(sender, "email", "") else None
    sent: list[str] = []
    try:
        _send_each(template, resolution, full_subject, reply_to, subject, sent)
    finally:  # whatever happened while sending, the archive says who got the mail and who did not
        unsent = [recipient.email for recipient in resolution.recipients if recipient.email not in sent]
        with transaction.atomic():
            notification = Notification.objects.create(
                sender=sender, subject=subject, body=body, recipient_ids=[rid.raw for rid in recipient_ids],
                addresses=[recipient.email for recipient in resolution.recipients], failed_addresses=unsent,
                sent_count=len(sent), failed_count=len(unsent))
            notification.recipients.set({user.pk for recipient in resolution.recipients for user in recipient.users})
    log.info("notification %d %r by %s: %d sent, %d failed", notification.pk, subject, sender, len(sent), len(unsent))
    return notification


def _send_each(template, resolution: Resolution, full_subject: str, reply_to, subject: str, sent: list[str]) -> None:
    """One mail per recipient over one SMTP connection; each address that took its mail is put in `sent`
    (a failure is logged, and fails that mail only)."""
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except MAIL_ERRORS as exc:
        log.warning("notification %r: the mail server refused the connection: %s", subject, exc)
        connection = None
    try:
        for recipient in resolution.recipients:
            if connection is None:
                continue
            try:
                text = render_body(template, recipient)
            except Exception:  # a helpdesk-written template: whatever it raises for one recipient fails that mail only
                log.exception("notification %r: the body could not be rendered for %s", subject, recipient.email)
                continue
            message = EmailMessage(full_subject, text, settings.SERVER_EMAIL, [recipient.email], reply_to=reply_to,
                                   connection=connection)
            try:
                message.send()
            except MAIL_ERRORS as exc:
                log.warning("notification %r to %s failed: %s", subject, recipient.email, exc)
            else:
                sent.append(recipient.email)
    finally:
        if connection is not None:
            try:
                connection.close()
            except MAIL_ERRORS as exc:
                log.warning("notification %r: closing the mail connection failed: %s", subject, exc)
