"""The instance pages in Debian's Chromium, against a simulated cluster: an owner logs in, sees their
instances and not the others', searches, opens one, reboots it through the confirmation dialog, sees
"job pending" and then the instance running again; a helpdesk user sees every instance, with owners."""

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from tests.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("empty_inventory")]


@pytest.fixture
def sim(simulators):
    """9 instances: inst0001, inst0004, inst0007 owned by alice, inst0002/5/8 by bob, the rest by nobody.
    Jobs take a few seconds, so that "job pending" is there to be seen."""
    return simulators(instances=9, owners="alice,bob", seed=5, job_duration_ms=2500)


def instances_of(sim, owner=None):
    rows = sim.request("GET", "/2/instances?bulk=1")[1]
    return {row["name"]: row for row in rows if owner is None or f"ganetimgr:user:{owner}" in row["tags"]}


def test_an_owner_finds_opens_and_reboots_an_instance(live_server, page, user, sim, cluster_on):
    cluster_on(sim, "c1")
    mine = instances_of(sim, "alice")
    others = set(instances_of(sim)) - set(mine)
    assert len(mine) == 3 and len(others) == 6
    running = sorted(name for name, row in mine.items() if row["status"] == "running")
    assert running, "the seed gives alice a running instance"
    name = running[0]

    log_in(page, live_server.url, "alice", "alice-secret-pw")
    expect(page.get_by_role("heading", name="My instances")).to_be_visible()
    rows = page.locator("#instance-list tbody tr")
    expect(rows).to_have_count(3)
    for instance in mine:
        expect(page.locator(f'tr[data-instance="{instance}"]')).to_be_visible()
    for instance in others:
        expect(page.locator(f'tr[data-instance="{instance}"]')).to_have_count(0)
    expect(page.get_by_text("3 of 3 instances")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Owners")).to_have_count(0)

    # Search (htmx swaps the list as one types).
    page.fill("#instance-search", name.split(".")[0])
    expect(rows).to_have_count(1)
    expect(page.get_by_text("1 of 3 instances")).to_be_visible()
    expect(page).to_have_url(re.compile(r"\?q=" + name.split(".")[0]))
    page.fill("#instance-search", "matches-nothing")
    expect(page.get_by_text("No instance matches the search.")).to_be_visible()
    page.fill("#instance-search", name.split(".")[0])
    expect(rows).to_have_count(1)

    # Open it: the detail page, read live.
    page.get_by_role("link", name=name, exact=True).click()  # not its Console link
    expect(page).to_have_url(re.compile(rf"/instances/c1/{re.escape(name)}/$"))
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    panel = page.locator("#instance-panel")
    expect(panel.locator('[data-label="running"]')).to_be_visible()

    # Reboot through the confirmation dialog; cancelling first changes nothing.
    panel.get_by_role("button", name="Reboot").click()
    dialog = page.locator("#confirm-action")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(name)
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert sim.request("GET", "/2/jobs")[1] == []
    panel.get_by_role("button", name="Reboot").click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Reboot").click()
    expect(dialog).to_be_hidden()
    expect(panel.get_by_text(re.compile(r"Reboot .*: job \d+ submitted\."))).to_be_visible()
    expect(panel.locator('[data-label="job_pending"]')).to_be_visible()
    expect(panel.get_by_text(re.compile(r"Job \d+ \(reboot\) is running"))).to_be_visible()
    expect(panel.get_by_role("button", name="Reboot")).to_have_count(0)  # no second action while it runs

    # The panel polls until the job ends: running again, no job pending, the buttons back.
    expect(panel.locator('[data-label="job_pending"]')).to_have_count(0, timeout=20_000)
    expect(panel.locator('[data-label="running"]')).to_be_visible()
    expect(panel.get_by_role("button", name="Reboot")).to_be_enabled()
    jobs = sim.request("GET", "/2/jobs?bulk=1")[1]
    assert [(job["ops"][0]["OP_ID"], job["status"]) for job in jobs] == [("OP_INSTANCE_REBOOT", "success")]
    assert sim.request("GET", f"/2/instances/{name}")[1]["status"] == "running"

    # Back on the list, the instance is running, and the history names the reboot.
    page.goto(live_server.url + "/")
    expect(page.locator(f'tr[data-instance="{name}"] [data-label="running"]')).to_be_visible()
    expect(page.locator(f'tr[data-instance="{name}"] [data-label="job_pending"]')).to_have_count(0)
    page.goto(live_server.url + "/history/")
    expect(page.locator("#content")).to_contain_text(name)


def test_a_helpdesk_user_sees_every_instance_with_its_owners(live_server, page, django_user_model, sim, cluster_on):
    cluster_on(sim, "c1")
    helpdesk = django_user_model.objects.create_user("hal", "hal@example.org", "hal-secret-pw")
    helpdesk.user_permissions.add(Permission.objects.get(codename="view_instances"))
    everything = instances_of(sim)

    log_in(page, live_server.url, "hal", "hal-secret-pw")
    expect(page.get_by_role("heading", name="All instances")).to_be_visible()
    expect(page.locator("#instance-list tbody tr")).to_have_count(len(everything))
    expect(page.get_by_role("columnheader", name="Owners")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Node")).to_be_visible()
    alices = sorted(instances_of(sim, "alice"))[0]
    row = page.locator(f'tr[data-instance="{alices}"]')
    expect(row).to_contain_text("alice")
    expect(row).to_contain_text(everything[alices]["pnode"])
    # Read-only: no action buttons for someone who owns nothing.
    expect(page.locator("#instance-list tbody button")).to_have_count(0)

    # Searching by owner finds bob's three.
    page.fill("#instance-search", "bob")
    expect(page.locator("#instance-list tbody tr")).to_have_count(3)
