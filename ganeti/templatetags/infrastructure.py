"""Template filters of the infrastructure pages."""

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def mib(value):
    """A size in MiB (what Ganeti counts in) in MiB, GiB or TiB: 512 -> "512 MiB", 65536 -> "64 GiB"."""
    if value is None or value == "":
        return ""
    try:
        size = float(value)
    except (TypeError, ValueError):
        return value
    for unit in ("MiB", "GiB"):
        if abs(size) < 1024:
            return f"{number_format(size, 0 if size == int(size) else 1)} {unit}"
        size /= 1024
    return f"{number_format(size, 0 if size == int(size) else 1)} TiB"


@register.filter
def usage_colour(percent):
    """The Bootstrap colour of a usage bar."""
    if percent is None:
        return "secondary"
    return "danger" if percent >= 90 else "warning" if percent >= 75 else "success"
