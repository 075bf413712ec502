"""Forms of the accounts app."""

import re

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

__all__ = [
    "LoginForm",
    "RegistrationForm",
    "NameForm",
    "EmailChangeForm",
    "ContactForm",
    "PasswordChangeForm",
    "SshKeysForm",
    "ResetRequestForm",
    "ResetPasswordForm",
]

PHONE = re.compile(r"^\+?[0-9 ()./-]{5,30}$")
# What one paste of SSH keys may hold: room for many RSA-4096 key lines (about 750 characters each).
SSH_KEYS_TEXT_MAX = 100_000


class BootstrapMixin:
    """Bootstrap's classes on every widget (fields added in a subclass's __init__ call _style again)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()

    def _style(self):
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple)):
                continue
            widget.attrs.setdefault("class", "form-control")


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

    def clean(self):
        # Django's form only tells the browser the longest name; a longer one, which no account has, is a wrong
        # login before it reaches authentication and the failed-login log (django-axes keeps 255 characters).
        if len(self.cleaned_data.get("username") or "") > self.fields["username"].max_length:
            raise self.get_invalid_login_error()
        return super().clean()


def _validate_phone(value: str) -> None:
    if value and not PHONE.match(value):
        raise forms.ValidationError(_("Enter a telephone number: digits, spaces and + ( ) - . / only."))


class RegistrationForm(BootstrapMixin, forms.Form):
    """Sign-up: the account, the person and, when configured, reCAPTCHA."""

    username = forms.RegexField(label=_("Username"), max_length=150, regex=r"^[\w.@+-]+\Z",
                                help_text=_("Letters, digits and @ . + - _ only."),
                                error_messages={"invalid": _("Use only letters, digits and @ . + - _.")})
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    password1 = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput,
                                help_text=password_validation.password_validators_help_text_html())
    password2 = forms.CharField(label=_("Password (again)"), strip=False, widget=forms.PasswordInput)
    first_name = forms.CharField(label=_("Name"), max_length=150)
    last_name = forms.CharField(label=_("Surname"), max_length=150)
    telephone = forms.CharField(label=_("Telephone"), max_length=30, required=False, validators=[_validate_phone])
    organization = forms.CharField(label=_("Organization"), max_length=255, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if settings.RECAPTCHA_PUBLIC_KEY and settings.RECAPTCHA_PRIVATE_KEY:
            from django_recaptcha.fields import ReCaptchaField

            self.fields["captcha"] = ReCaptchaField(label=_("Are you a person?"))
        self._style()

    def clean_username(self):
        username = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is taken."))
        return username

    def clean_email(self):
        email = self.cleaned_data["email"]
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this e-mail address exists already."))
        return email

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords differ."))
        elif password1:
            user = get_user_model()(username=cleaned.get("username", ""), email=cleaned.get("email", ""),
                                    first_name=cleaned.get("first_name", ""), last_name=cleaned.get("last_name", ""))
            try:
                password_validation.validate_password(password1, user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class NameForm(BootstrapMixin, forms.Form):
    first_name = forms.CharField(label=_("Name"), max_length=150)
    last_name = forms.CharField(label=_("Surname"), max_length=150)


class EmailChangeForm(BootstrapMixin, forms.Form):
    email = forms.EmailField(label=_("New e-mail address"), max_length=254)

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_email(self):
        email = self.cleaned_data["email"]
        if email.lower() == (self.user.email or "").lower():
            raise forms.ValidationError(_("This is your address already."))
        if get_user_model().objects.filter(email__iexact=email).exclude(pk=self.user.pk).exists():
            raise forms.ValidationError(_("Another account uses this address."))
        return email


class ContactForm(BootstrapMixin, forms.Form):
    organization = forms.CharField(label=_("Organization"), max_length=255, required=False)
    telephone = forms.CharField(label=_("Telephone"), max_length=30, required=False, validators=[_validate_phone])


class PasswordChangeForm(BootstrapMixin, PasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].widget.attrs.pop("autofocus", None)


class SshKeysForm(BootstrapMixin, forms.Form):
    keys = forms.CharField(
        label=_("Public keys"), widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        max_length=SSH_KEYS_TEXT_MAX,
        error_messages={"max_length": _("Paste at most %(limit_value)s characters at once (this has %(show_value)s).")},
        help_text=_("One key per line, as in your ~/.ssh/id_ed25519.pub: ed25519, ecdsa or RSA (2048 bits or more)."))


class ResetRequestForm(BootstrapMixin, PasswordResetForm):
    """Django's reset request: the same answer whether or not the address has an account."""


class ResetPasswordForm(BootstrapMixin, SetPasswordForm):
    """Django's form for the new password behind a reset link."""
