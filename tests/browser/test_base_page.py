"""The base page in Debian's Chromium: log in, use the menu, switch to Greek, reach the admin, log out."""

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import log_in, submit_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_language_switch_admin_and_logout(live_server, page, superuser):
    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/user/login/\?next=/$"))
    submit_login(page, "root", "root-secret-pw")
    expect(page.get_by_role("heading", name="Welcome, root")).to_be_visible()
    expect(page.locator("#sidebar").get_by_role("link")).to_have_text(
        ["Home", "Apply", "Applications", "History", "Statistics", "Cluster info", "Nodes", "Jobs",
         "Notifications", "Clusters", "Networks", "Idle accounts", "Administration"])

    page.locator("#language-menu").click()
    page.get_by_role("button", name="Ελληνικά").click()
    expect(page.get_by_role("heading", name="Καλώς ήρθατε, root")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "el")

    page.locator("#sidebar").get_by_role("link", name="Συστάδες").click()
    expect(page).to_have_url(re.compile(r"/admin/ganeti/cluster/$"))

    page.goto(live_server.url + "/")
    page.locator("#user-menu").click()
    page.get_by_role("button", name="Αποσύνδεση").click()
    expect(page).to_have_url(re.compile(r"/user/login/$"))
    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/user/login/\?next=/$"))


def test_small_screens_get_the_menu_in_an_offcanvas(live_server, page, user):
    page.set_viewport_size({"width": 420, "height": 800})
    log_in(page, live_server.url, "alice", "alice-secret-pw")
    sidebar_home = page.locator("#sidebar").get_by_role("link", name="Home")
    expect(sidebar_home).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    expect(sidebar_home).to_be_visible()
