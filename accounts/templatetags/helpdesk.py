"""Template filters of the helpdesk's links: to the user and group info pages and to the notification form.

Owner names come from instance tags, which may hold characters no URL pattern takes: such a name gets
no link (an empty URL) instead of breaking the page."""

from django import template
from django.urls import NoReverseMatch, reverse

from notifications.permissions import can_notify

from ..permissions import can_view_user_info

register = template.Library()


def _url(name: str, value: str) -> str:
    try:
        return reverse(name, args=[value])
    except NoReverseMatch:
        return ""


@register.filter
def user_info_url(username: str) -> str:
    return _url("accounts:user_info", username)


@register.filter
def group_info_url(group_name: str) -> str:
    return _url("accounts:group_info", group_name)


@register.filter
def may_view_user_info(user) -> bool:
    return can_view_user_info(user)


@register.filter
def may_notify(user) -> bool:
    return can_notify(user)
