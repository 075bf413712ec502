"""What every page ends with: the helpdesk issue collector and the operator's analytics include."""

import logging

from django import template
from django.conf import settings
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils.html import format_html, json_script
from django.utils.safestring import mark_safe

register = template.Library()
log = logging.getLogger(__name__)


def helpdesk_data(context) -> dict:
    """HELPDESK_INTEGRATION_JAVASCRIPT_PARAMS, the user, and on an instance page the instance."""
    user = context["request"].user
    data = {**settings.HELPDESK_INTEGRATION_JAVASCRIPT_PARAMS,
            "user": {"username": user.get_username(), "email": user.email, "name": user.get_full_name()}}
    instance, cluster = context.get("instance"), context.get("cluster")
    if getattr(instance, "name", None) and getattr(cluster, "slug", None):
        data["instance"] = {"name": instance.name, "cluster": cluster.slug}
    return data


@register.simple_tag(takes_context=True)
def end_of_body(context):
    """The issue collector (logged-in users, when HELPDESK_INTEGRATION_JAVASCRIPT_URL is set; its data as
    a JSON block, never written into JavaScript) and BRANDING's ANALYTICS_FILE_PATH template."""
    parts = []
    request = context.get("request")
    url = settings.HELPDESK_INTEGRATION_JAVASCRIPT_URL
    if url and request is not None and getattr(request, "user", None) and request.user.is_authenticated:
        parts.append(json_script(helpdesk_data(context), "helpdesk-integration"))
        parts.append(format_html('<script src="{}" async></script>', url))
    analytics = settings.BRANDING.get("ANALYTICS_FILE_PATH")
    if analytics:
        try:
            parts.append(render_to_string(analytics, request=request))
        except TemplateDoesNotExist:
            log.error("BRANDING ANALYTICS_FILE_PATH %s: no such template", analytics)
    return mark_safe("\n".join(parts))  # noqa: S308 - json_script/format_html escape; the include is the operator's
