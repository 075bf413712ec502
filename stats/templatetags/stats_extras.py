"""Template filters of the statistics page."""

from datetime import datetime, timezone

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def mib(value) -> str:
    """A size in MiB as people read it: 512 MiB, 1.5 GiB, 2.3 TiB."""
    try:
        size = float(value or 0)
    except (TypeError, ValueError):
        return ""
    if size < 1024:
        return _("%(size)s MiB") % {"size": number_format(size, 0 if size == int(size) else 1)}
    if size < 1024 * 1024:
        return _("%(size)s GiB") % {"size": number_format(size / 1024, 1)}
    return _("%(size)s TiB") % {"size": number_format(size / 1024 / 1024, 1)}


@register.filter
def ms_date(value):
    """A chart point's time (milliseconds since the epoch, UTC) as a date."""
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=timezone.utc).date()
    except (TypeError, ValueError, OverflowError):
        return None
