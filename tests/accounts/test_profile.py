"""The profile: name, organization and telephone, e-mail change by a link to the old address, password."""

import html
import time
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.mail import link_in

pytestmark = pytest.mark.django_db


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def test_profile_shows_the_forms_filled_in(client, user):
    client.force_login(user)
    page = page_text(client.get("/user/profile/"))
    assert 'value="Alice"' in page and "Now: alice@example.org." in page
    assert "You have 0 SSH keys." in page and "Change the password" in page


def test_change_name_and_contact_details(client, user):
    client.force_login(user)
    response = client.post("/user/name_change/", {"first_name": "Alicia", "last_name": "Smith"}, follow=True)
    assert "Your name was changed." in page_text(response)
    response = client.post("/user/other_change/", {"organization": "NOC", "telephone": "+30 210 555"}, follow=True)
    assert "Your organization and telephone were saved." in page_text(response)
    user.refresh_from_db()
    assert user.get_full_name() == "Alicia Smith"
    assert (user.profile.organization, user.profile.telephone) == ("NOC", "+30 210 555")


def test_bad_profile_input_is_a_form_error(client, user):
    client.force_login(user)
    response = client.post("/user/other_change/", {"telephone": "<script>"})
    assert response.status_code == 200 and "Enter a telephone number" in page_text(response)
    response = client.post("/user/name_change/", {"first_name": "", "last_name": "x"})
    assert response.status_code == 200 and "This field is required." in page_text(response)
    assert client.get("/user/name_change/").status_code == 405


@pytest.mark.integration
class TestEmailChange:
    def request_change(self, client, smtp_sink, new="alice@new.example.org", old="alice@example.org"):
        """Ask for the change; the path of the link mailed to the old address."""
        smtp_sink.clear()
        response = client.post("/user/mail_change/", {"email": new}, follow=True)
        assert f"We sent a confirmation link to {old}" in page_text(response)
        mail = smtp_sink.wait_for(old, "Confirm the change of your e-mail address")
        assert new in mail["body"]
        return urlsplit(link_in(mail["body"])).path

    def confirm_old(self, client, smtp_sink, link, new="alice@new.example.org"):
        """Use the link of the old address; the path of the link it has mailed to the new one."""
        smtp_sink.clear()
        response = client.post(link, follow=True)
        assert f"Confirmed. We sent a link to {new}" in page_text(response)
        return urlsplit(link_in(smtp_sink.wait_for(new, "Confirm the change of your e-mail address")["body"])).path

    def change(self, client, smtp_sink, new, old):
        """The whole change, both links; the path of the second."""
        second = self.confirm_old(client, smtp_sink, self.request_change(client, smtp_sink, new, old), new)
        assert client.post(second).status_code == 302 and User.objects.get(username="alice").email == new
        return second

    def test_links_to_the_old_then_the_new_address_apply_the_change_on_post(self, client, user, smtp_sink):
        client.force_login(user)
        link = self.request_change(client, smtp_sink)
        assert "Change your e-mail address from alice@example.org to alice@new.example.org?" in page_text(
            client.get(link))
        assert User.objects.get(pk=user.pk).email == "alice@example.org"  # following the link changes nothing
        second = self.confirm_old(client, smtp_sink, link)
        assert User.objects.get(pk=user.pk).email == "alice@example.org"  # not before the new address answers
        again = client.post(link)
        assert again.status_code == 400 and "already used" in page_text(again)
        assert "Change your e-mail address from alice@example.org to alice@new.example.org?" in page_text(
            client.get(second))
        response = client.post(second, follow=True)
        assert "Your e-mail address is now alice@new.example.org." in page_text(response)
        assert User.objects.get(pk=user.pk).email == "alice@new.example.org"
        again = client.post(second)
        assert again.status_code == 400 and "already used" in page_text(again)

    def test_link_expires(self, client, user, smtp_sink, settings):
        client.force_login(user)
        link = self.request_change(client, smtp_sink)
        settings.PASSWORD_RESET_TIMEOUT = 1
        time.sleep(2.1)
        response = client.post(link)
        assert response.status_code == 400 and "This link has expired" in page_text(response)
        assert User.objects.get(pk=user.pk).email == "alice@example.org"

    def test_link_only_works_for_its_own_account(self, client, user, superuser, smtp_sink):
        client.force_login(user)
        link = self.request_change(client, smtp_sink)
        other = Client()
        other.force_login(superuser)
        response = other.post(link)
        assert response.status_code == 400 and "not valid for your account" in page_text(response)
        assert User.objects.get(pk=superuser.pk).email == "root@example.org"
        tampered = client.post(link[:-3] + "xx/")
        assert tampered.status_code == 400 and "This link is not valid." in page_text(tampered)

    def test_a_link_never_works_again_even_when_the_address_changes_back(self, client, user, smtp_sink):
        client.force_login(user)
        to_new = self.change(client, smtp_sink, "alice@new.example.org", "alice@example.org")
        self.change(client, smtp_sink, "alice@example.org", "alice@new.example.org")
        again = client.post(to_new)  # names alice@example.org as the old address, which it is again
        assert again.status_code == 400 and "already used" in page_text(again)
        assert User.objects.get(pk=user.pk).email == "alice@example.org"

    def test_using_one_link_retires_the_other_pending_ones(self, client, user, smtp_sink):
        client.force_login(user)
        first = self.request_change(client, smtp_sink, new="alice@first.example.org")
        second = self.request_change(client, smtp_sink, new="alice@second.example.org")
        self.confirm_old(client, smtp_sink, second, new="alice@second.example.org")
        refused = client.post(first)
        assert refused.status_code == 400 and "already used" in page_text(refused)
        assert User.objects.get(pk=user.pk).email == "alice@example.org"

    def test_address_taken_meanwhile_is_refused(self, client, user, django_user_model, smtp_sink):
        client.force_login(user)
        link = self.request_change(client, smtp_sink)
        django_user_model.objects.create_user("bob", "Alice@New.example.org", "bob-secret-pw")
        response = client.post(link)
        assert response.status_code == 400 and "Another account uses alice@new.example.org now." in page_text(response)


def test_a_refused_mail_to_the_new_address_leaves_the_first_link_usable(client, user, settings, mailoutbox,
                                                                       dead_mail_server):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client.force_login(user)
    client.post("/user/mail_change/", {"email": "alice@new.example.org"})
    link = urlsplit(link_in(mailoutbox[0].body)).path
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    response = client.post(link)
    assert response.status_code == 503 and "try again later" in page_text(response)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = client.post(link, follow=True)
    assert "Confirmed. We sent a link to alice@new.example.org" in page_text(response)
    assert mailoutbox[-1].to == ["alice@new.example.org"]
    assert User.objects.get(pk=user.pk).email == "alice@example.org"


def test_email_change_refuses_taken_and_same_addresses(client, user, superuser, mailoutbox):
    client.force_login(user)
    for address, message in [("ROOT@example.org", "Another account uses this address."),
                             ("alice@example.org", "This is your address already."),
                             ("nope", "Enter a valid email address.")]:
        response = client.post("/user/mail_change/", {"email": address})
        assert response.status_code == 200 and message in page_text(response)
    assert not mailoutbox


def test_without_an_address_the_new_one_is_confirmed_by_a_link_sent_to_it(client, user, mailoutbox):
    User.objects.filter(pk=user.pk).update(email="")
    client.force_login(user)
    response = client.post("/user/mail_change/", {"email": "alice@set.example.org"}, follow=True)
    assert "We sent a confirmation link to alice@set.example.org" in page_text(response)
    assert User.objects.get(pk=user.pk).email == ""  # not before its owner confirms it
    [mail] = mailoutbox
    assert mail.to == ["alice@set.example.org"]
    link = urlsplit(link_in(mail.body)).path
    assert "Set your e-mail address to alice@set.example.org?" in page_text(client.get(link))
    response = client.post(link, follow=True)
    assert "Your e-mail address is now alice@set.example.org." in page_text(response)
    assert User.objects.get(pk=user.pk).email == "alice@set.example.org"
    assert client.post(link).status_code == 400


@pytest.mark.integration
def test_password_change_logs_out_other_sessions_and_mails(client, user, smtp_sink):
    elsewhere = Client()
    elsewhere.force_login(user)
    client.post("/user/login/", {"username": "alice", "password": "alice-secret-pw"})
    response = client.post("/user/pass_change/", {"old_password": "alice-secret-pw",
                                                  "new_password1": "another-long-passphrase",
                                                  "new_password2": "another-long-passphrase"}, follow=True)
    assert "Your password was changed; your other sessions were logged out." in page_text(response)
    assert client.get("/user/profile/").status_code == 200  # this session goes on
    gone = elsewhere.get("/user/profile/")
    assert gone.status_code == 302 and gone["Location"].startswith("/user/login/")
    mail = smtp_sink.wait_for("alice@example.org", "Your password was changed")
    assert "every other session of the account was logged out" in mail["body"]


def test_password_change_errors_are_shown(client, user, mailoutbox):
    client.force_login(user)
    response = client.post("/user/pass_change/", {"old_password": "wrong", "new_password1": "x",
                                                  "new_password2": "x"})
    assert response.status_code == 200
    assert "Your old password was entered incorrectly." in page_text(response)
    assert User.objects.get(pk=user.pk).check_password("alice-secret-pw") and not mailoutbox


def test_directory_accounts_are_sent_to_the_directory(client, user):
    from accounts.models import UserProfile

    user.set_unusable_password()
    user.save()
    UserProfile.objects.create(user=user, directory_user=True)
    client.force_login(user)
    assert "Your password is kept in the directory (LDAP)" in page_text(client.get("/user/profile/"))
    assert "Your e-mail address comes from the directory (LDAP)" in page_text(client.get("/user/profile/"))
    response = client.post("/user/pass_change/", {"new_password1": "a", "new_password2": "a"}, follow=True)
    assert "Your password is kept in the directory (LDAP): change it there." in page_text(response)
    response = client.post("/user/mail_change/", {"email": "other@example.org"}, follow=True)
    assert "Your e-mail address comes from the directory (LDAP): change it there." in page_text(response)
    assert User.objects.get(pk=user.pk).email == "alice@example.org"


def test_local_accounts_without_a_password_are_not_called_directory_accounts(client, user, mailoutbox):
    """As `createsuperuser --noinput` or the admin make them: their address is theirs to change."""
    user.set_unusable_password()
    user.save()
    client.force_login(user)
    page = page_text(client.get("/user/profile/"))
    assert "(LDAP)" not in page
    assert "This account has no password here: ask an administrator to set one." in page
    response = client.post("/user/mail_change/", {"email": "alice@other.example.org"}, follow=True)
    assert "We sent a confirmation link to alice@example.org" in page_text(response)
    response = client.post("/user/pass_change/", {"new_password1": "a", "new_password2": "a"}, follow=True)
    assert "This account has no password here: ask an administrator to set one." in page_text(response)
