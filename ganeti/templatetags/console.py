"""{% console_enabled as name %}: whether the web console is on (WEBSOCK_VNC_ENABLED), for templates that are
rendered without a request (the instance list's memoized rows)."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def console_enabled() -> bool:
    return bool(settings.WEBSOCK_VNC_ENABLED)
