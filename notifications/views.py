"""Pages of the notifications app: compose (with the archive list), the recipient lookup, an archived
notification. Helpdesk and superusers compose; the archive's pages need can_view_notification_archive."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from ganetimgr.responses import json_error

from . import selectors, services
from .forms import NotificationForm
from .permissions import can_notify, can_view_notification_archive
from .templating import render_body

__all__ = ["compose", "recipient_lookup", "archive_detail"]

ARCHIVE_PAGE_SIZE = 20


@require_http_methods(["GET", "POST"])
def compose(request):
    """GET: the form (?to=<id> repeated prefills recipients). POST: "preview" resolves and shows who would
    get what; "send" sends, archives and comes back here with the outcome."""
    if not can_notify(request.user):
        raise PermissionDenied
    preview = None
    if request.method == "POST":
        form = NotificationForm(request.POST)
        chosen = selectors.recipient_choices(request.POST.getlist("to"))
        if form.is_valid():
            if "send" in request.POST:
                notification = services.notification_send(
                    sender=request.user, subject=form.cleaned_data["subject"], body=form.cleaned_data["body"],
                    recipient_ids=form.recipient_ids, resolution=form.resolution)
                _report(request, notification)
                return redirect("notifications:compose")
            preview = _preview(form)
    else:
        form = NotificationForm()
        chosen = selectors.recipient_choices(request.GET.getlist("to"))
    page = Paginator(selectors.archive(), ARCHIVE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/compose.html", {
        "form": form, "chosen": chosen, "preview": preview, "page": page, "lookup_types": LOOKUP_CHOICES,
        "page_query": _prefill_query(request),
        "can_view_archive": can_view_notification_archive(request.user),
    })


def _prefill_query(request) -> str:
    """What the archive's page links keep of the query string: the ?to= prefill (ending in "&")."""
    prefill = request.GET.getlist("to")
    return urlencode([("to", value) for value in prefill]) + "&" if prefill else ""


LOOKUP_CHOICES = [
    ("users", selectors.TYPE_LABELS["u"]), ("groups", selectors.TYPE_LABELS["g"]),
    ("instances", selectors.TYPE_LABELS["i"]), ("clusters", selectors.TYPE_LABELS["c"]),
    ("nodes", selectors.TYPE_LABELS["n"]), ("nodegroups", selectors.TYPE_LABELS["ng"]),
]


def _preview(form) -> dict:
    resolution = form.resolution
    first = resolution.recipients[0] if resolution.recipients else None
    return {"resolution": resolution, "sample_to": first,
            "sample": render_body(form.compiled_body, first) if first else ""}


def _report(request, notification) -> None:
    total = notification.sent_count + notification.failed_count
    if not notification.failed_count:
        messages.success(request, ngettext("Notification sent to %(count)d recipient.",
                                           "Notification sent to %(count)d recipients.", total) % {"count": total})
    elif not notification.sent_count:
        messages.error(request, ngettext(
            "The notification could not be sent: the mail to its %(count)d recipient failed (%(addresses)s). "
            "The archive keeps it.",
            "The notification could not be sent: the mails to all %(count)d recipients failed (%(addresses)s). "
            "The archive keeps it.", total) % {"count": total, "addresses": _addresses(notification.failed_addresses)})
    else:
        messages.warning(request, _("Notification sent to %(sent)d of %(total)d recipients; the mail to these "
                                    "failed: %(addresses)s.")
                         % {"sent": notification.sent_count, "total": total,
                            "addresses": _addresses(notification.failed_addresses)})


def _addresses(addresses: list[str], most: int = 10) -> str:
    text = ", ".join(addresses[:most])
    if len(addresses) > most:
        text += " " + _("and %(count)d more") % {"count": len(addresses) - most}
    return text


@require_GET
def recipient_lookup(request):
    """/notifications/usergrps/?q=&type=users|groups|instances|clusters|nodes|nodegroups: JSON
    {"results": [{"id", "type", "type_label", "text"}], "errors": [...]}, or for htmx the result
    checkboxes. Fewer than 2 characters find nothing; a bad type is a 400 with code "bad_type"."""
    if not can_notify(request.user):
        return json_error(403, "forbidden", _("You may not send notifications."))
    kind = request.GET.get("type", "")
    if kind not in selectors.LOOKUP_TYPES:
        return json_error(400, "bad_type", _("type must be one of: %(types)s.")
                          % {"types": ", ".join(selectors.LOOKUP_TYPES)})
    query = request.GET.get("q", "")
    results, errors = selectors.lookup(kind, query)
    if request.headers.get("HX-Request"):
        return render(request, "notifications/_lookup_results.html",
                      {"results": results, "errors": errors, "short": len(query.strip()) < selectors.MIN_QUERY})
    return JsonResponse({"results": results, "errors": [str(error) for error in errors]})


@require_GET
def archive_detail(request, pk: int):
    if not can_view_notification_archive(request.user):
        raise PermissionDenied
    notification = get_object_or_404(selectors.archive(), pk=pk)
    failed = set(notification.failed_addresses)
    return render(request, "notifications/archive_detail.html", {
        "notification": notification, "recipients": notification.recipients.order_by("username"),
        "addresses": [(address, address in failed) for address in notification.addresses],
    })
