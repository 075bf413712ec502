from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """Django's login form, telling a user whose account awaits activation so (as the original did)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "inactive": _("This account is not active yet: it waits for e-mail validation or an administrator's approval."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.update({"class": "form-control", "autofocus": True})
        self.fields["password"].widget.attrs.update({"class": "form-control"})
