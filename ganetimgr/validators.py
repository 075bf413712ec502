"""Validators shared by the apps."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

__all__ = ["clean_hostname"]

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def clean_hostname(value: str | None) -> str:
    """A fully qualified host name (at least two dot-separated labels of letters, digits and hyphens, the
    last not numeric), lower-cased, without a trailing dot; ValidationError otherwise. An application's
    host name and an instance's new name alike."""
    name = (value or "").strip().lower()
    if name.endswith("."):
        name = name[:-1]
    if not name:
        raise ValidationError(_("Enter the host name."), code="required")
    if len(name) > 253 or not all(_LABEL.match(label) for label in name.split(".")):
        raise ValidationError(_("Enter a valid host name: letters, digits and hyphens in dot-separated parts "
                                "(e.g. vm1.example.org)."), code="invalid")
    if "." not in name:
        raise ValidationError(_("Enter a fully qualified host name, with its domain (e.g. vm1.example.org)."),
                              code="not_fqdn")
    if name.split(".")[-1].isdigit():
        raise ValidationError(_("Enter a host name, not an IP address."), code="invalid")
    return name
