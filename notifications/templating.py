"""A notification's body: a Django template written in the compose form, rendered once per recipient.

The mail is plain text, so nothing is escaped; Markdown is sent as written (it reads well as text).
The engine loads no template files and knows only notifications.template_builtins: a body cannot
include or extend templates, load tag libraries or print the context with {% debug %}. A recipient's
context holds copies of plain values (RecipientInstance, a dict of the user's names), never model
objects, so a body cannot reach a password hash through `user`.
"""

from __future__ import annotations

from django.template import Context, Engine, Template, TemplateSyntaxError

__all__ = ["compile_body", "render_body", "TemplateSyntaxError"]


class _MailEngine(Engine):
    # Engine() prepends these to `builtins`; the mail engine has only its own.
    default_builtins: list[str] = []


_engine = _MailEngine(builtins=["notifications.template_builtins"], libraries={}, loaders=[], autoescape=False,
                      debug=False, string_if_invalid="")


def compile_body(text: str) -> Template:
    """The body as a template; TemplateSyntaxError says what is wrong with it."""
    return _engine.from_string(text)


def render_body(template: Template, recipient) -> str:
    """The body for one recipient (notifications.selectors.Recipient): `instances` and `user` in context."""
    user = recipient.user
    context = {
        "instances": list(recipient.instances),
        "user": {"username": user.username, "first_name": user.first_name, "last_name": user.last_name,
                 "full_name": user.get_full_name() or user.username, "email": recipient.email},
    }
    return template.render(Context(context, autoescape=False))
