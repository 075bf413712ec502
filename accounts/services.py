"""Writes of the accounts app: registration, profile, e-mail and password changes, SSH keys, idle mails."""

import logging
import time

from django.conf import settings
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.sites.requests import RequestSite
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext as _
from registration.models import SupervisedRegistrationProfile

from ganetimgr.mail import send_templated

from .models import SshKey, UserProfile
from .selectors import SESSION_LOGIN_AT, registration_admins, registration_by_key, registration_pending
from .sshkeys import parse_key_line

__all__ = [
    "MailNotSent",
    "profile_of",
    "profile_update",
    "registration_create",
    "registration_validate",
    "registration_approve",
    "login_welcome_due",
    "session_login_started",
    "directory_account_mark",
    "email_change_request",
    "email_change_confirm",
    "email_change_payload",
    "EMAIL_STEP_OLD",
    "EMAIL_STEP_NEW",
    "password_change_done",
    "ssh_keys_add",
    "ssh_key_delete",
    "SSH_KEYS_MAX",
    "idle_accounts_notify",
]

logger = logging.getLogger(__name__)
EMAIL_CHANGE_SALT = "accounts.email_change"
# How many SSH keys one user may keep (they all go on every new virtual machine).
SSH_KEYS_MAX = 100


class MailNotSent(Exception):
    """A mail the user's action depends on could not be handed to the mail server; nothing was changed."""

    def __init__(self, cause: Exception):
        super().__init__(_("We could not send the mail this needs; please try again later."))
        self.cause = cause


def _mail(name: str, context: dict, to: list[str]) -> None:
    """Send accounts/email/<name>_subject.txt and <name>_body.txt to `to`."""
    send_templated(f"accounts/email/{name}", context, to)


def _site(request):
    """The site as django-registration-redux's mail templates see it, with the scheme for links."""
    site = RequestSite(request)
    site.scheme = request.scheme
    return site


# --------------------------------------------------------------------------------------------------
# Profile
# --------------------------------------------------------------------------------------------------

def profile_of(user) -> UserProfile:
    """The user's profile, made on first use (LDAP users and the admin's users have none yet)."""
    profile, _created = UserProfile.objects.get_or_create(user=user)
    return profile


def profiles_mark_directory(*, users) -> int:
    """Record that the directory (LDAP) made these accounts, so that their owners may log in through
    it: for accounts made before ganetimgr recorded that (an upgrade). Returns how many changed."""
    changed = 0
    for user in users:
        profile = profile_of(user)
        if not profile.directory_user:
            profile.directory_user = True
            profile.save(update_fields=["directory_user"])
            changed += 1
    return changed


def profile_update(*, user, first_name: str | None = None, last_name: str | None = None,
                   organization: str | None = None, telephone: str | None = None) -> None:
    """Change the name and contact details given (None leaves a field as it is)."""
    with transaction.atomic():
        if first_name is not None or last_name is not None:
            user.first_name = user.first_name if first_name is None else first_name
            user.last_name = user.last_name if last_name is None else last_name
            user.save(update_fields=["first_name", "last_name"])
        if organization is not None or telephone is not None:
            profile = profile_of(user)
            profile.organization = profile.organization if organization is None else organization
            profile.telephone = profile.telephone if telephone is None else telephone
            profile.save(update_fields=["organization", "telephone"])


def login_welcome_due(*, user) -> bool:
    """True once, at a user's first login: the page then shows the welcome message."""
    updated = UserProfile.objects.filter(user=user, first_login=True).update(first_login=False)
    if updated:
        return True
    _profile, created = UserProfile.objects.get_or_create(user=user, defaults={"first_login": False})
    return created


def session_login_started(*, request) -> None:
    """Start the login's SESSION_COOKIE_AGE from now (at every login, a repeated one too)."""
    request.session[SESSION_LOGIN_AT] = time.time()


def directory_account_mark(*, user) -> None:
    """Record that the directory (LDAP) made this account: only such accounts take directory logins."""
    UserProfile.objects.update_or_create(user=user, defaults={"directory_user": True})


# --------------------------------------------------------------------------------------------------
# Registration (django-registration-redux's admin-approval flow)
# --------------------------------------------------------------------------------------------------

def registration_create(*, username: str, email: str, password: str, first_name: str, last_name: str,
                        telephone: str, organization: str, request):
    """An inactive user with a profile, and the e-mail validation link mailed; MailNotSent leaves nothing."""
    User = get_user_model()
    site = _site(request)
    try:
        with transaction.atomic():
            user = User(username=username, email=email, first_name=first_name, last_name=last_name)
            user.set_password(password)
            user = SupervisedRegistrationProfile.objects.create_inactive_user(
                site, new_user=user, send_email=False, request=request)
            UserProfile.objects.create(user=user, organization=organization, telephone=telephone)
            # Sent inside the transaction: when the mail server refuses it, no account is left behind.
            SupervisedRegistrationProfile.objects.get(user=user).send_activation_email(site, request)
    except OSError as exc:
        logger.error("registration of user=%s not done: the validation mail failed: %s", username, exc)
        raise MailNotSent(exc) from exc
    logger.info("registration user=%s email=%s", user.get_username(), user.email)
    return user


def registration_validate(*, activation_key: str, request):
    """Validate the address behind an activation key and mail the approval link to the admins.

    The user, or None when the key is unknown, expired or already used."""
    profile = registration_by_key(activation_key)
    if profile is None:
        return None
    if not registration_admins():
        # Nobody to mail: the registration waits in the admin (Registration profiles) instead of failing.
        logger.error("registration validated user=%s but nobody approves it: set ADMINS", profile.user.get_username())
        profile.activated = True
        profile.save(update_fields=["activated"])
        return profile.user
    try:
        # django-registration-redux mails the administrators before it records the validation.
        user, validated = SupervisedRegistrationProfile.objects.activate_user(activation_key, _site(request))
    except OSError as exc:
        logger.error("registration of user=%s not validated: the approval mail failed: %s",
                     profile.user.get_username(), exc)
        raise MailNotSent(exc) from exc
    if not validated:
        return None
    logger.info("registration validated user=%s", user.get_username())
    return user


def registration_approve(*, profile_id: int, request):
    """Activate a validated registration and tell the user; None when there is none pending with that id.

    The registration is deleted then: its approval link never works again, even when an administrator
    deactivates the account later."""
    profile = registration_pending(profile_id=profile_id)
    if profile is None:
        return None
    try:
        SupervisedRegistrationProfile.objects.admin_approve_user(profile.pk, _site(request), request=request)
    except OSError as exc:  # the account is active already; only the news to its owner is lost
        logger.error("registration approved user=%s but the mail to them failed: %s", profile.user.get_username(), exc)
    profile.delete()
    logger.info("registration approved user=%s by=%s", profile.user.get_username(), request.user.get_username())
    profile.user.refresh_from_db()
    return profile.user


# --------------------------------------------------------------------------------------------------
# E-mail change: confirmed by a link to the old address, then by one to the new address (an account
# without an address: by the second only), applied on POST, expiring, single-use
# --------------------------------------------------------------------------------------------------

# A link's step: "old" confirms the wish from the current address, "new" proves the new address works.
EMAIL_STEP_OLD, EMAIL_STEP_NEW = "old", "new"


def _email_change_link(*, user, new_email: str, step: str, to: str, request) -> None:
    """Mail a link for one step of the change to `to`; MailNotSent when the mail server refuses it."""
    # "n": the account's count of used links; using any link makes every older one unusable.
    token = signing.dumps({"u": user.pk, "old": user.email, "new": new_email, "s": step,
                           "n": profile_of(user).email_changes}, salt=EMAIL_CHANGE_SALT)
    link = request.build_absolute_uri(reverse("accounts:email_change_confirm", args=[token]))
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    try:
        _mail("email_change", {"user": user, "new_email": new_email, "link": link, "hours": hours}, [to])
    except OSError as exc:
        logger.error("e-mail change link for user=%s not sent: %s", user.get_username(), exc)
        raise MailNotSent(exc) from exc


def email_change_request(*, user, new_email: str, request) -> str:
    """Mail the first confirmation link: to the current address, or to the new one when the account has
    none (so that nobody sets an address without showing it is theirs). The address the link went to."""
    if user.email:
        _email_change_link(user=user, new_email=new_email, step=EMAIL_STEP_OLD, to=user.email, request=request)
        return user.email
    _email_change_link(user=user, new_email=new_email, step=EMAIL_STEP_NEW, to=new_email, request=request)
    return new_email


def email_change_payload(*, user, token: str) -> dict:
    """The change a link asks for, if it is this user's, unexpired and not yet used; else ValidationError."""
    try:
        payload = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=settings.PASSWORD_RESET_TIMEOUT)
    except signing.SignatureExpired:
        raise ValidationError(_("This link has expired: ask for the change again from your profile."),
                              code="expired") from None
    except signing.BadSignature:
        raise ValidationError(_("This link is not valid."), code="invalid") from None
    # A used link carries a count of links the account has gone past (and may name an address it no
    # longer has).
    if (payload.get("u") != user.pk or payload.get("old") != user.email
            or payload.get("s") not in (EMAIL_STEP_OLD, EMAIL_STEP_NEW)
            or payload.get("n") != profile_of(user).email_changes):
        raise ValidationError(_("This link is not valid for your account, or it was already used."), code="used")
    return payload


def email_change_confirm(*, user, token: str, request) -> tuple[str, bool]:
    """Use a valid link: the first step mails the link of the second to the new address, the second
    applies the change. (The new address, whether it is applied now); ValidationError, MailNotSent."""
    with transaction.atomic():
        # Locked, so that two requests with the same link cannot both pass the check below.
        UserProfile.objects.select_for_update().filter(user=user).first()
        payload = email_change_payload(user=user, token=token)
        new_email = payload["new"]
        if get_user_model().objects.filter(email__iexact=new_email).exclude(pk=user.pk).exists():
            raise ValidationError(_("Another account uses %(email)s now."), params={"email": new_email}, code="taken")
        UserProfile.objects.filter(user=user).update(email_changes=F("email_changes") + 1)
        if payload["s"] == EMAIL_STEP_OLD:
            # Inside the transaction: when the mail fails, the first link stays usable.
            _email_change_link(user=user, new_email=new_email, step=EMAIL_STEP_NEW, to=new_email, request=request)
            logger.info("email change confirmed from the old address user=%s", user.get_username())
            return new_email, False
        user.email = new_email
        user.save(update_fields=["email"])
    logger.info("email changed user=%s", user.get_username())
    return new_email, True


# --------------------------------------------------------------------------------------------------
# Password
# --------------------------------------------------------------------------------------------------

def password_change_done(*, request, user) -> None:
    """After a password change: keep this session, end every other (their session hash no longer
    matches), and tell the user by mail."""
    update_session_auth_hash(request, user)
    if user.email:
        try:
            _mail("password_changed", {"user": user}, [user.email])
        except OSError as exc:  # the password is changed; only the notice is lost
            logger.error("password change notice to user=%s not sent: %s", user.get_username(), exc)
    logger.info("password changed user=%s", user.get_username())


# --------------------------------------------------------------------------------------------------
# SSH keys
# --------------------------------------------------------------------------------------------------

def ssh_keys_add(*, user, text: str) -> tuple[list[SshKey], list[str]]:
    """Add every key line of `text` (blank lines and # comments ignored).

    All or nothing: ValidationError listing every bad line. Returns (added keys, fingerprints of
    keys the user already had)."""
    parsed, errors = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            parsed.append(parse_key_line(line))
        except ValidationError as exc:
            errors.extend(ValidationError(_("Line %(number)s: %(error)s"), params={"number": number, "error": m})
                          for m in exc.messages)
    if errors:
        raise ValidationError(errors)
    if not parsed:
        raise ValidationError(_("Paste at least one public key."), code="empty")
    added, skipped = [], []
    with transaction.atomic():
        # The user's row locked: two requests at once cannot both pass the limit.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        existing = set(SshKey.objects.filter(user=user).values_list("fingerprint", flat=True))
        new = {key.fingerprint for key in parsed} - existing
        if len(existing) + len(new) > SSH_KEYS_MAX:
            raise ValidationError(
                _("You may keep at most %(limit)s SSH keys: you have %(count)s, and these would add %(new)s. "
                  "Delete keys you no longer use first."),
                params={"limit": SSH_KEYS_MAX, "count": len(existing), "new": len(new)}, code="too_many")
        for key in parsed:
            if key.fingerprint in existing:
                skipped.append(key.fingerprint)
                continue
            existing.add(key.fingerprint)
            try:
                with transaction.atomic():
                    added.append(SshKey.objects.create(user=user, key_type=key.key_type, public_key=key.public_key,
                                                       comment=key.comment, fingerprint=key.fingerprint))
            except IntegrityError:  # added meanwhile by another request
                skipped.append(key.fingerprint)
    logger.info("ssh keys added user=%s count=%d skipped=%d", user.get_username(), len(added), len(skipped))
    return added, skipped


def ssh_key_delete(*, user, key_id: int) -> bool:
    """Delete one of the user's own keys; False when the user has no such key."""
    deleted, _detail = SshKey.objects.filter(user=user, pk=key_id).delete()
    return bool(deleted)


# --------------------------------------------------------------------------------------------------
# Idle accounts
# --------------------------------------------------------------------------------------------------

def idle_accounts_notify(*, users, login_url: str) -> int:
    """Ask each idle user by mail to confirm the account by logging in; how many mails went out."""
    sent = 0
    for user in users:
        try:
            _mail("idle_account", {"user": user, "login_url": login_url,
                                   "days": settings.IDLE_ACCOUNT_NOTIFICATION_DAYS}, [user.email])
        except OSError as exc:
            logger.error("idle account mail to user=%s failed: %s", user.get_username(), exc)
            continue
        sent += 1
    return sent
