"""Notifications in Debian's Chromium: a helpdesk user finds a cluster with the lookup, previews and sends
a notification to the owners of its instances, finds it in the archive; the mails are in the SMTP sink;
the compose page in Greek."""

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from tests.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("empty_inventory")]


@pytest.fixture
def helpdesk(django_user_model):
    hal = django_user_model.objects.create_user("hal", "hal@example.org", "hal-secret-pw")
    hal.user_permissions.add(Permission.objects.get(codename="view_instances"),
                             Permission.objects.get(codename="can_view_notif"))
    return hal


def test_helpdesk_notifies_the_owners_of_a_cluster(live_server, page, user, helpdesk, django_user_model, simulators,
                                                   cluster_on, smtp_sink):
    django_user_model.objects.create_user("bob", "bob@example.org")
    sim = simulators(instances=6, owners="alice,bob", seed=1)
    cluster_on(sim, "c1")
    owned = {owner: sorted(row["name"] for row in sim.request("GET", "/2/instances?bulk=1")[1]
                           if f"ganetimgr:user:{owner}" in row["tags"]) for owner in ("alice", "bob")}
    assert owned["alice"] and owned["bob"]

    log_in(page, live_server.url, "hal", "hal-secret-pw")
    page.locator("#sidebar").get_by_role("link", name="Notifications").click()
    expect(page.get_by_role("heading", name="Notify users and instance owners")).to_be_visible()

    # The lookup: clusters whose name has "c1"; ticking the result moves it to the chosen recipients.
    page.select_option("#recipient-type", "clusters")
    page.fill("#recipient-search", "c1")
    result = page.locator("#recipient-results").get_by_label(re.compile("Cluster c1"))
    expect(result).to_be_visible()
    result.check()
    expect(page.locator('#recipient-chosen input[value="c_c1"]')).to_be_checked()
    page.fill("#recipient-search", "zz")  # a new search keeps the chosen one
    expect(page.locator("#recipient-results")).to_contain_text("Nothing matches.")
    expect(page.locator('#recipient-chosen input[value="c_c1"]')).to_be_checked()

    page.fill("#id_subject", "Maintenance on Tuesday")
    page.fill("#id_body", "Hello {{ user.username }}, these go down: {{ instances|join:', ' }}")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#notification-preview")
    expect(preview).to_contain_text("2 recipients")
    expect(preview).to_contain_text("alice@example.org")
    expect(preview).to_contain_text("bob@example.org")
    assert smtp_sink.messages() == []

    page.get_by_role("button", name="Send").click()
    expect(page.locator("#messages")).to_contain_text("Notification sent to 2 recipients.")
    mail = smtp_sink.wait_for("alice@example.org", "Maintenance on Tuesday")
    assert mail["body"].strip() == f"Hello alice, these go down: {', '.join(owned['alice'])}"
    assert ", ".join(owned["bob"]) in smtp_sink.wait_for("bob@example.org", "Maintenance on Tuesday")["body"]
    assert len(smtp_sink.messages()) == 2

    page.locator("#notification-archive").get_by_role("link", name="Maintenance on Tuesday").click()
    expect(page.get_by_role("heading", name="Maintenance on Tuesday")).to_be_visible()
    expect(page.locator("#notification-outcome")).to_have_text("2 sent, 0 failed")
    expect(page.locator("#notification-addresses")).to_contain_text("bob@example.org")

    # The same page in Greek.
    page.locator("#language-menu").click()
    page.get_by_role("button", name="Ελληνικά").click()
    page.goto(live_server.url + "/notifications/")
    expect(page.get_by_role("heading", name="Ειδοποίηση χρηστών και κατόχων εικονικών μηχανών")).to_be_visible()
    expect(page.get_by_role("button", name="Αποστολή")).to_be_visible()
    expect(page.get_by_label("Αναζήτηση για")).to_be_visible()
