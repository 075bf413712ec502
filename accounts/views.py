"""Views of the accounts app: thin; decisions in permissions.py, writes in services.py, reads in selectors.py."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth import get_user_model  # user and group info
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import Group  # user and group info
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from . import permissions, selectors, services
from .forms import (
    ContactForm,
    EmailChangeForm,
    LoginForm,
    NameForm,
    PasswordChangeForm,
    RegistrationForm,
    ResetPasswordForm,
    ResetRequestForm,
    SshKeysForm,
)

IDLE_PAGE_SIZE = 50

# --------------------------------------------------------------------------------------------------
# Login
# --------------------------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    """The login page with the welcome text, the news feed and, once, the welcome message."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "news": selectors.news_entries(),
                "registration_open": settings.REGISTRATION_OPEN,
                "expired": self.request.GET.get("expired") == "1"}

    def form_valid(self, form):
        response = super().form_valid(form)
        if services.login_welcome_due(user=form.get_user()):
            messages.info(self.request, format_html(
                _('Welcome! Fill in your <a href="{}">profile</a> and add your <a href="{}">SSH keys</a>: '
                  "they are put on the virtual machines you create."),
                reverse("accounts:profile"), reverse("accounts:ssh_keys")))
        return response


# --------------------------------------------------------------------------------------------------
# Registration: register, validate the address, an administrator approves
# --------------------------------------------------------------------------------------------------


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def register(request):
    if not settings.REGISTRATION_OPEN:
        return render(request, "accounts/register_closed.html")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.registration_create(
                username=data["username"], email=data["email"], password=data["password1"],
                first_name=data["first_name"], last_name=data["last_name"], telephone=data["telephone"],
                organization=data["organization"], request=request)
        except IntegrityError:  # the same username registered a moment ago
            form.add_error("username", _("This username is taken."))
        except services.MailNotSent as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("accounts:register_complete")
    return render(request, "accounts/register.html", {"form": form})


@login_not_required
@require_safe
def register_complete(request):
    return render(request, "accounts/register_complete.html", {"days": settings.ACCOUNT_ACTIVATION_DAYS})


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def activate(request, activation_key):
    """GET asks to confirm (mail scanners follow links), POST validates the address."""
    if request.method == "POST":
        try:
            user = services.registration_validate(activation_key=activation_key, request=request)
        except services.MailNotSent as exc:
            messages.error(request, str(exc))
            return render(request, "accounts/activate.html", {"state": "confirm"}, status=503)
        state = "validated" if user else "invalid"
    else:
        state = "confirm" if selectors.registration_by_key(activation_key) else "invalid"
    return render(request, "accounts/activate.html", {"state": state},
                  status=400 if state == "invalid" else 200)


@require_http_methods(["GET", "HEAD", "POST"])
def approve(request, profile_id):
    """An administrator approves a validated registration (the link of the approval mail)."""
    if not permissions.can_approve_registrations(request.user):
        raise PermissionDenied
    registration = selectors.registration_pending(profile_id=profile_id)
    if registration is None:
        return render(request, "accounts/approve.html", {"state": "none"}, status=404)
    if request.method == "POST":
        user = services.registration_approve(profile_id=profile_id, request=request)
        return render(request, "accounts/approve.html", {"state": "approved", "approved_user": user})
    return render(request, "accounts/approve.html", {"state": "confirm", "approved_user": registration.user,
                                                     "profile": services.profile_of(registration.user)})


# --------------------------------------------------------------------------------------------------
# Password reset (Django's views: the same answer for every address, single-use expiring links)
# --------------------------------------------------------------------------------------------------

password_reset = auth_views.PasswordResetView.as_view(
    form_class=ResetRequestForm, template_name="accounts/password_reset_form.html",
    email_template_name="accounts/email/password_reset_body.txt",
    subject_template_name="accounts/email/password_reset_subject.txt",
    success_url=reverse_lazy("accounts:password_reset_done"))
password_reset_done = auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html")
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    form_class=ResetPasswordForm, template_name="accounts/password_reset_confirm.html",
    success_url=reverse_lazy("accounts:password_reset_complete"))
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html")


# --------------------------------------------------------------------------------------------------
# Profile
# --------------------------------------------------------------------------------------------------


def _profile_page(request, **bound_forms):
    user = request.user
    profile = services.profile_of(user)
    context = {
        "profile": profile,
        "key_count": selectors.ssh_keys_of(user).count(),
        "name_form": NameForm(initial={"first_name": user.first_name, "last_name": user.last_name}),
        # Directory (LDAP) accounts' name, address and password come from the directory.
        "directory_user": profile.directory_user,
        "email_form": EmailChangeForm(user=user) if permissions.can_change_email_here(user) else None,
        "contact_form": ContactForm(initial={"organization": profile.organization, "telephone": profile.telephone}),
        "password_form": PasswordChangeForm(user) if permissions.can_change_password_here(user) else None,
        **bound_forms,
    }
    return render(request, "accounts/profile.html", context)


@require_safe
def profile(request):
    return _profile_page(request)


def _profile_update(request, form_class, form_name: str, done: str):
    """One profile panel's POST: its form's errors on the profile page, or the update and a message."""
    form = form_class(request.POST)
    if not form.is_valid():
        return _profile_page(request, **{form_name: form})
    services.profile_update(user=request.user, **form.cleaned_data)
    messages.success(request, done)
    return redirect("accounts:profile")


@require_POST
def profile_name(request):
    return _profile_update(request, NameForm, "name_form", _("Your name was changed."))


@require_POST
def profile_contact(request):
    return _profile_update(request, ContactForm, "contact_form", _("Your organization and telephone were saved."))


@require_POST
def profile_email(request):
    if not permissions.can_change_email_here(request.user):
        messages.error(request, _("Your e-mail address comes from the directory (LDAP): change it there."))
        return redirect("accounts:profile")
    form = EmailChangeForm(request.POST, user=request.user)
    if not form.is_valid():
        return _profile_page(request, email_form=form)
    try:
        sent_to = services.email_change_request(user=request.user, new_email=form.cleaned_data["email"],
                                                request=request)
    except services.MailNotSent as exc:
        form.add_error(None, str(exc))
        return _profile_page(request, email_form=form)
    messages.info(request, _("We sent a confirmation link to %(email)s: follow it to change the address.")
                  % {"email": sent_to})
    return redirect("accounts:profile")


@require_http_methods(["GET", "HEAD", "POST"])
def email_change_confirm(request, token):
    """GET shows the change a link asks for, POST confirms it: the link from the old address sends one
    to the new address, whose link applies the change."""
    try:
        if request.method == "POST":
            new_email, applied = services.email_change_confirm(user=request.user, token=token, request=request)
            if applied:
                messages.success(request, _("Your e-mail address is now %(email)s.") % {"email": new_email})
            else:
                messages.info(request, _("Confirmed. We sent a link to %(email)s: follow it to show the address "
                                         "is yours, and the change is made.") % {"email": new_email})
            return redirect("accounts:profile")
        payload = services.email_change_payload(user=request.user, token=token)
    except ValidationError as exc:
        return render(request, "accounts/email_change_confirm.html", {"error": exc.messages[0]}, status=400)
    except services.MailNotSent as exc:
        return render(request, "accounts/email_change_confirm.html", {"error": str(exc)}, status=503)
    return render(request, "accounts/email_change_confirm.html",
                  {"new_email": payload["new"], "first_step": payload["s"] == services.EMAIL_STEP_OLD})


@require_POST
def profile_password(request):
    if not permissions.can_change_password_here(request.user):
        if selectors.is_directory_account(request.user):
            messages.error(request, _("Your password is kept in the directory (LDAP): change it there."))
        else:
            messages.error(request, _("This account has no password here: ask an administrator to set one."))
        return redirect("accounts:profile")
    form = PasswordChangeForm(request.user, request.POST)
    if not form.is_valid():
        return _profile_page(request, password_form=form)
    user = form.save()
    services.password_change_done(request=request, user=user)
    messages.success(request, _("Your password was changed; your other sessions were logged out."))
    return redirect("accounts:profile")


# --------------------------------------------------------------------------------------------------
# SSH keys
# --------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def ssh_keys(request):
    form = SshKeysForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            added, skipped = services.ssh_keys_add(user=request.user, text=form.cleaned_data["keys"])
        except ValidationError as exc:
            form.add_error("keys", exc)
        else:
            if added:
                messages.success(request, _("Keys added: %(count)s.") % {"count": len(added)})
            if skipped:
                messages.warning(request, _("You have these keys already: %(fingerprints)s.")
                                 % {"fingerprints": ", ".join(skipped)})
            return redirect("accounts:ssh_keys")
    return render(request, "accounts/ssh_keys.html", {"form": form, "keys": selectors.ssh_keys_of(request.user)})


@require_POST
def ssh_key_delete(request, key_id):
    if not services.ssh_key_delete(user=request.user, key_id=key_id):
        raise Http404
    messages.success(request, _("The key was deleted."))
    return redirect("accounts:ssh_keys")


# --------------------------------------------------------------------------------------------------
# Idle accounts (helpdesk)
# --------------------------------------------------------------------------------------------------


@require_safe
def idle_accounts(request):
    if not permissions.can_view_idle_accounts(request.user):
        raise PermissionDenied
    page = Paginator(selectors.idle_users(), IDLE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/idle_accounts.html",
                  {"page": page, "days": settings.IDLE_ACCOUNT_NOTIFICATION_DAYS})


# --------------------------------------------------------------------------------------------------
# User and group info (helpdesk)
# --------------------------------------------------------------------------------------------------


def _no_nul(name: str) -> str:
    """A user or group name from the URL; a NUL (which PostgreSQL refuses) is no such name."""
    if "\x00" in name:
        raise Http404("No such name.")
    return name


@require_safe
def user_info(request, name: str):
    if not permissions.can_view_user_info(request.user):
        raise PermissionDenied
    person = get_object_or_404(get_user_model(), username=_no_nul(name))
    return render(request, "accounts/user_info.html", {"person": person, **selectors.user_info(person)})


@require_safe
def group_info(request, name: str):
    if not permissions.can_view_user_info(request.user):
        raise PermissionDenied
    group = get_object_or_404(Group, name=_no_nul(name))
    return render(request, "accounts/group_info.html", {"group": group, **selectors.group_info(group)})
