"""The tags and filters a notification body may use: Django's own, less those that reach outside the
mail (load, include, extends, url, debug, csrf_token). notifications.templating builds its engine on it."""

from django.template import Library, defaultfilters, defaulttags

register = Library()

# `debug` prints the context and every loaded module; `load` would bring any installed library back;
# `url` raises for an unknown name at render time; `csrf_token` means nothing in a mail.
EXCLUDED_TAGS = frozenset({"debug", "load", "url", "csrf_token"})

register.tags.update({name: tag for name, tag in defaulttags.register.tags.items() if name not in EXCLUDED_TAGS})
register.filters.update(defaultfilters.register.filters)


@register.filter(is_safe=True, needs_autoescape=True)
def join(value, arg, autoescape=True):
    """Django's join, for items that are not strings: {{ instances|join:", " }} lists the names."""
    try:
        items = [str(item) for item in value]
    except TypeError:  # not a list: what Django's join gives back
        return value
    return defaultfilters.join(items, arg, autoescape=autoescape)
