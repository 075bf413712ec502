"""Mail rendered from a pair of templates: <prefix>_subject.txt and <prefix>_body.txt.

Every app mails through send_templated(), so subjects carry EMAIL_SUBJECT_PREFIX, a subject never
spans lines, and a mail rendered for a recipient can be in that recipient's language.
"""

import contextlib

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

__all__ = ["send_templated", "manager_addresses"]


def send_templated(template_prefix: str, context: dict, to: list[str], *, language: str | None = None) -> None:
    """Render <template_prefix>_subject.txt and _body.txt (in `language` when given) and send them to `to`.

    Raises what the mail backend raises (OSError, SMTPException): callers decide whether a failed
    mail undoes their action or is only logged.
    """
    if not to:
        return
    with translation.override(language) if language else contextlib.nullcontext():
        subject = settings.EMAIL_SUBJECT_PREFIX + "".join(
            render_to_string(f"{template_prefix}_subject.txt", context).splitlines())
        body = render_to_string(f"{template_prefix}_body.txt", context)
    send_mail(subject, body, None, list(to))


def manager_addresses() -> list[str]:
    """The MANAGERS' e-mail addresses: who reviews applications and hears of refused actions."""
    return [address for _name, address in settings.MANAGERS]
