"""Accounts in Debian's Chromium, with mail through real SMTP to the sink and LDAP against slapd.

A visitor registers, validates the address from the mail, an administrator approves from the mail,
the user logs in, adds an ed25519 key, changes the password and is logged out in another browser."""

import re

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from playwright.sync_api import expect

from tests.mail import ADMIN_ADDRESS, link_in
from tests.accounts.test_ssh_keys import ssh_keygen_fingerprint
from tests.helpers import log_in, submit_login

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_register_validate_approve_login_key_and_password(live_server, page, browser, superuser, smtp_sink, tmp_path):
    url = live_server.url
    page.goto(url + "/user/login/")
    page.get_by_role("link", name="Create an account").click()
    page.fill("#id_username", "nina")
    page.fill("#id_email", "nina@example.org")
    page.fill("#id_password1", "nina-first-passphrase")
    page.fill("#id_password2", "nina-first-passphrase")
    page.fill("#id_first_name", "Nina")
    page.fill("#id_last_name", "Newbie")
    page.fill("#id_organization", "GRNET")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()

    page.goto(link_in(smtp_sink.wait_for("nina@example.org", "Validate your e-mail address")["body"]))
    page.get_by_role("button", name="Validate my address").click()
    expect(page.get_by_text("your address is validated")).to_be_visible()

    # The administrator, in a browser of their own, approves from the mailed link.
    admin_context = browser.new_context()
    admin_page = admin_context.new_page()
    approval_link = link_in(smtp_sink.wait_for(ADMIN_ADDRESS, "Account waiting for approval: nina")["body"])
    admin_page.goto(approval_link)
    submit_login(admin_page, "root", "root-secret-pw")
    expect(admin_page.get_by_text("GRNET")).to_be_visible()
    admin_page.get_by_role("button", name="Approve").click()
    expect(admin_page.get_by_text("The account nina is active")).to_be_visible()
    admin_context.close()
    smtp_sink.wait_for("nina@example.org", "Your account is approved")

    log_in(page, url, "nina", "nina-first-passphrase")
    expect(page.get_by_role("heading", name="Welcome, Nina")).to_be_visible()
    expect(page.get_by_text("Welcome! Fill in your")).to_be_visible()
    page.locator("#messages").get_by_role("link", name="SSH keys").click()  # the welcome message points there
    expect(page).to_have_url(re.compile(r"/user/keys/$"))
    key_line = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode() + " nina@laptop"
    page.fill("#id_keys", key_line)
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("Keys added: 1.")).to_be_visible()
    expect(page.locator("#ssh-keys")).to_contain_text(ssh_keygen_fingerprint(key_line, tmp_path))
    expect(page.locator("#ssh-keys")).to_contain_text("nina@laptop")

    # A second browser is logged in as nina too; changing the password logs it out.
    other_context = browser.new_context()
    other_page = other_context.new_page()
    log_in(other_page, url, "nina", "nina-first-passphrase")
    expect(other_page.get_by_role("heading", name="Welcome, Nina")).to_be_visible()

    page.locator("#user-menu").click()
    page.locator("#user-menu + .dropdown-menu").get_by_role("link", name="Profile").click()
    page.fill("#id_old_password", "nina-first-passphrase")
    page.fill("#id_new_password1", "nina-second-passphrase")
    page.fill("#id_new_password2", "nina-second-passphrase")
    page.get_by_role("button", name="Change the password").click()
    expect(page.get_by_text("your other sessions were logged out")).to_be_visible()
    smtp_sink.wait_for("nina@example.org", "Your password was changed")

    other_page.goto(url + "/user/profile/")
    expect(other_page).to_have_url(re.compile(r"/user/login/\?next=/user/profile/$"))
    other_context.close()
    page.goto(url + "/user/profile/")
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()


def test_directory_user_logs_in(live_server, page, ldap_settings):
    log_in(page, live_server.url, "carol", "carol-ldap-pw")
    expect(page.get_by_role("heading", name="Welcome, Carol")).to_be_visible()
    page.locator("#user-menu").click()
    page.locator("#user-menu + .dropdown-menu").get_by_role("link", name="Profile").click()
    expect(page.get_by_text("Your password is kept in the directory (LDAP)")).to_be_visible()


def test_the_page_logs_itself_out_when_the_login_ends(live_server, page, user, settings):
    settings.SESSION_COOKIE_AGE = 3
    log_in(page, live_server.url, "alice", "alice-secret-pw")
    expect(page.get_by_role("heading", name="Welcome, Alice")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/user/login/\?expired=1$"), timeout=8000)
    expect(page.get_by_text("Your session expired: please log in again.")).to_be_visible()
    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/user/login/\?next=/$"))


def test_a_login_of_more_than_24_days_does_not_end_at_once(live_server, page, user, settings):
    """Browsers fire a timer of more than 2^31-1 ms (24.8 days) at once: the page waits in steps."""
    settings.SESSION_COOKIE_AGE = 30 * 24 * 3600
    log_in(page, live_server.url, "alice", "alice-secret-pw")
    expect(page.get_by_role("heading", name="Welcome, Alice")).to_be_visible()
    page.wait_for_timeout(2000)
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", name="Welcome, Alice")).to_be_visible()
