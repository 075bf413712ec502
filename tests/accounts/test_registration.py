"""Registration: sign up, validate the address by mail, an administrator approves by mail, log in.

Mail goes through real SMTP to the sink of scripts/with-services.sh."""

import html
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from registration.models import SupervisedRegistrationProfile

from tests.mail import ADMIN_ADDRESS, link_in

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

FORM = {"username": "newbie", "email": "newbie@example.org", "password1": "a-long-fresh-passphrase",
        "password2": "a-long-fresh-passphrase", "first_name": "Nina", "last_name": "Newbie",
        "telephone": "+30 210 1234567", "organization": "GRNET"}


def register(client, **changes):
    return client.post("/user/register/", {**FORM, **changes})


def path_of(link: str) -> str:
    return urlsplit(link).path


def test_the_whole_flow_through_real_mail(client, smtp_sink, superuser):
    response = register(client)
    assert response.status_code == 302 and response["Location"] == "/user/register/complete/"
    assert "Check your mail" in client.get(response["Location"]).content.decode()
    user = User.objects.get(username="newbie")
    assert not user.is_active and user.get_full_name() == "Nina Newbie"
    assert (user.profile.organization, user.profile.telephone) == ("GRNET", "+30 210 1234567")

    # Before anything, the login page says the account is not active yet.
    refused = client.post("/user/login/", {"username": "newbie", "password": FORM["password1"]})
    assert "This account is not active yet" in refused.content.decode()

    validation = smtp_sink.wait_for("newbie@example.org", "Validate your e-mail address")
    activate = path_of(link_in(validation["body"]))
    assert activate.startswith("/user/activate/")
    assert "Validate my address" in client.get(activate).content.decode()  # GET changes nothing
    assert not smtp_sink.to(ADMIN_ADDRESS)
    validated = client.post(activate)
    assert "your address is validated" in validated.content.decode()

    approval = smtp_sink.wait_for(ADMIN_ADDRESS, "Account waiting for approval: newbie")
    approve = path_of(link_in(approval["body"]))
    assert "Nina Newbie (newbie, newbie@example.org)" in approval["body"]
    client.force_login(superuser)
    page = client.get(approve).content.decode()
    assert "GRNET" in page and "Approve" in page
    assert not User.objects.get(username="newbie").is_active
    done = client.post(approve)
    assert "The account newbie is active" in done.content.decode()
    assert User.objects.get(username="newbie").is_active

    approved = smtp_sink.wait_for("newbie@example.org", "Your account is approved")
    assert path_of(link_in(approved["body"])) == "/user/login/"
    client.post("/user/logout/")
    response = client.post("/user/login/", {"username": "newbie", "password": FORM["password1"]}, follow=True)
    assert response.redirect_chain[-1] == ("/", 302)
    assert "Welcome! Fill in your" in response.content.decode()


def test_validation_link_works_once(client, smtp_sink):
    register(client)
    activate = path_of(link_in(smtp_sink.wait_for("newbie@example.org", "Validate")["body"]))
    assert client.post(activate).status_code == 200
    again = client.post(activate)
    assert again.status_code == 400 and "unknown, expired or already used" in again.content.decode()
    assert client.get(activate).status_code == 400
    assert len(smtp_sink.to(ADMIN_ADDRESS)) == 1


def test_validation_link_expires(client, settings, mailoutbox):
    register(client)
    key = SupervisedRegistrationProfile.objects.get(user__username="newbie").activation_key
    User.objects.filter(username="newbie").update(
        date_joined=User.objects.get(username="newbie").date_joined - timedelta(days=settings.ACCOUNT_ACTIVATION_DAYS, seconds=1))
    response = client.post(f"/user/activate/{key}/")
    assert response.status_code == 400 and "unknown, expired or already used" in response.content.decode()
    assert not SupervisedRegistrationProfile.objects.get(activation_key=key).activated


def test_unknown_or_malformed_keys_are_refused_politely(client):
    for key in ["0" * 64, "not-a-key", "x" * 300]:
        response = client.post(f"/user/activate/{key}/")
        assert response.status_code == 400 and "unknown, expired or already used" in response.content.decode()


def test_only_superusers_approve(client, user, mailoutbox):
    register(client)
    profile = SupervisedRegistrationProfile.objects.get(user__username="newbie")
    client.post(f"/user/activate/{profile.activation_key}/")
    assert client.get(f"/user/approve/{profile.pk}/").status_code == 302  # anonymous: to the login page
    client.force_login(user)
    assert client.post(f"/user/approve/{profile.pk}/").status_code == 403
    assert not User.objects.get(username="newbie").is_active


def test_approval_needs_a_validated_address_and_happens_once(client, superuser,
                                                             mailoutbox):
    register(client)
    profile = SupervisedRegistrationProfile.objects.get(user__username="newbie")
    client.force_login(superuser)
    early = client.post(f"/user/approve/{profile.pk}/")
    assert early.status_code == 404 and "its address is not validated yet" in early.content.decode()
    assert not User.objects.get(username="newbie").is_active
    client.post(f"/user/activate/{profile.activation_key}/")
    assert client.post(f"/user/approve/{profile.pk}/").status_code == 200
    assert client.post(f"/user/approve/{profile.pk}/").status_code == 404


def validated_registration(client, superuser):
    """A registration whose address is validated, and a superuser logged in to approve it."""
    register(client)
    profile = SupervisedRegistrationProfile.objects.get(user__username="newbie")
    client.post(f"/user/activate/{profile.activation_key}/")
    client.force_login(superuser)
    return f"/user/approve/{profile.pk}/"


def test_an_approved_account_deactivated_later_is_not_waiting_for_approval_again(client, superuser, mailoutbox):
    approve = validated_registration(client, superuser)
    assert "The account newbie is active" in client.post(approve).content.decode()
    User.objects.filter(username="newbie").update(is_active=False)  # an administrator deactivates it
    page = client.get(approve)
    assert page.status_code == 404 and "There is no registration waiting for approval" in page.content.decode()
    assert client.post(approve).status_code == 404
    assert not User.objects.get(username="newbie").is_active


@pytest.mark.parametrize("extra_age, approved", [(timedelta(seconds=1), False), (timedelta(days=-1), True)])
def test_approval_links_expire(client, superuser, settings, mailoutbox, extra_age, approved):
    """They work until REGISTRATION_APPROVAL_DAYS after the ACCOUNT_ACTIVATION_DAYS of validation."""
    approve = validated_registration(client, superuser)
    newbie = User.objects.get(username="newbie")
    window = timedelta(days=settings.ACCOUNT_ACTIVATION_DAYS + settings.REGISTRATION_APPROVAL_DAYS)
    newbie.date_joined -= window + extra_age
    newbie.save(update_fields=["date_joined"])
    if approved:
        assert "The account newbie is active" in client.post(approve).content.decode()
    else:
        page = client.get(approve)
        assert page.status_code == 404 and "the link has expired" in page.content.decode()
        assert client.post(approve).status_code == 404
    assert User.objects.get(username="newbie").is_active is approved


@pytest.mark.parametrize("changes, field, message", [
    ({"email": "ALICE@example.org"}, "email", "An account with this e-mail address exists already."),
    ({"username": "Alice"}, "username", "This username is taken."),
    ({"username": "no spaces"}, "username", "Use only letters, digits and @ . + - _."),
    ({"password1": "password", "password2": "password"}, "password1", "This password is too common."),
    ({"password2": "something-else-entirely"}, "password2", "The two passwords differ."),
    ({"password1": "newbie-nina", "password2": "newbie-nina"}, "password1", "too similar"),
    ({"telephone": "call me maybe"}, "telephone", "Enter a telephone number"),
    ({"email": "not-an-address"}, "email", "Enter a valid email address."),
    ({"first_name": ""}, "first_name", "This field is required."),
])
def test_bad_input_gets_a_form_error(client, user, changes, field, message, mailoutbox):
    response = client.post("/user/register/", {**FORM, **changes})
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert message in html.unescape(response.content.decode())
    assert not User.objects.filter(username="newbie").exists() and not mailoutbox


def test_captcha_only_when_configured(client, settings):
    assert "captcha" not in client.get("/user/register/").context["form"].fields
    settings.RECAPTCHA_PUBLIC_KEY, settings.RECAPTCHA_PRIVATE_KEY = "site-key-for-tests", "secret-key-for-tests"
    page = client.get("/user/register/")
    assert "captcha" in page.context["form"].fields and "site-key-for-tests" in page.content.decode()
    response = client.post("/user/register/", FORM)  # no g-recaptcha-response: refused before asking Google
    assert response.context["form"].errors["captcha"] and not User.objects.filter(username="newbie").exists()


def test_registration_can_be_closed(client, settings):
    settings.REGISTRATION_OPEN = False
    assert "Registration is closed" in client.get("/user/register/").content.decode()
    client.post("/user/register/", FORM)
    assert not User.objects.filter(username="newbie").exists()
    login_page = client.get("/user/login/").content.decode()
    assert 'href="/user/register/"' not in login_page and "New here?" not in login_page


def test_validation_with_nobody_to_approve_is_logged_not_a_crash(client, settings, caplog, mailoutbox):
    settings.ADMINS = []
    register(client)
    profile = SupervisedRegistrationProfile.objects.get(user__username="newbie")
    response = client.post(f"/user/activate/{profile.activation_key}/")
    assert response.status_code == 200 and "your address is validated" in response.content.decode()
    assert "nobody approves it: set ADMINS" in caplog.text
    assert SupervisedRegistrationProfile.objects.get(pk=profile.pk).activated


def test_superusers_approve_when_admins_is_empty(client, settings, superuser,
                                                 mailoutbox):
    settings.ADMINS = []
    register(client)
    profile = SupervisedRegistrationProfile.objects.get(user__username="newbie")
    client.post(f"/user/activate/{profile.activation_key}/")
    assert [message.to for message in mailoutbox][-1] == ["root@example.org"]


def test_a_username_taken_between_the_check_and_the_save_is_a_form_error(client, user, monkeypatch):
    from accounts.forms import RegistrationForm

    monkeypatch.setattr(RegistrationForm, "clean_username", lambda form: form.cleaned_data["username"])
    response = client.post("/user/register/", {**FORM, "username": "alice"})
    assert response.status_code == 200 and response.context["form"].errors["username"] == ["This username is taken."]
    assert User.objects.filter(username="alice").count() == 1


def test_a_refused_validation_mail_leaves_no_account_behind(client, dead_mail_server, caplog):
    response = client.post("/user/register/", FORM)
    assert response.status_code == 200
    assert "We could not send the mail this needs; please try again later." in response.content.decode()
    assert not User.objects.filter(username="newbie").exists()
    assert "the validation mail failed" in caplog.text


def test_a_refused_approval_mail_leaves_the_link_usable(client, settings,
                                                        mailoutbox, dead_mail_server):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    register(client)
    key = SupervisedRegistrationProfile.objects.get(user__username="newbie").activation_key
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    response = client.post(f"/user/activate/{key}/")
    assert response.status_code == 503 and "try again later" in response.content.decode()
    assert not SupervisedRegistrationProfile.objects.get(activation_key=key).activated
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert "your address is validated" in client.post(f"/user/activate/{key}/").content.decode()


def test_cleanupregistration_frees_expired_unvalidated_registrations(client, settings, mailoutbox):
    from django.core.management import call_command

    register(client)
    register(client, username="keeper", email="keeper@example.org")
    User.objects.filter(username="newbie").update(
        date_joined=User.objects.get(username="newbie").date_joined - timedelta(days=settings.ACCOUNT_ACTIVATION_DAYS + 1))
    call_command("cleanupregistration")
    assert list(User.objects.filter(username__in=["newbie", "keeper"]).values_list("username", flat=True)) == ["keeper"]
    assert register(client).status_code == 302  # the username and address are free again
