"""Cluster info, nodes and jobs in Debian's Chromium: a helpdesk user opens cluster info, filters
the nodes by role, opens a failed job's details and reads Ganeti's error, then reads the jobs page in Greek."""

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from tests.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("empty_inventory")]


def test_a_helpdesk_user_walks_through_cluster_info_nodes_and_a_failed_job(live_server, page, django_user_model,
                                                                          simulators, cluster_on):
    sim = simulators(cluster_name="cluster.example.test", nodes=4, instances=8, jobs=30, seed=2, owners="alice")
    cluster_on(sim, "c1")
    assert sim.run_job("PUT", "/2/nodes/node4.example.test/role?force=1", "offline")["status"] == "success"
    failed = next(job for job in (sim.request("GET", f"/2/jobs/{n}")[1] for n in range(1, 31))
                  if job["status"] == "error")
    message = failed["opresult"][0][1][0]
    helpdesk = django_user_model.objects.create_user("hal", "hal@example.org", "hal-secret-pw")
    helpdesk.user_permissions.add(Permission.objects.get(codename="view_instances"))

    log_in(page, live_server.url, "hal", "hal-secret-pw")
    # the instance popup, from the helpdesk's instance list
    page.locator('tr[data-instance="inst0001.example.test"] [data-instance-popup]').click()
    popup = page.locator("#instance-popup")
    expect(popup).to_be_visible()
    expect(popup).to_contain_text("alice")
    expect(popup).to_contain_text("not locked")
    popup.get_by_role("button", name="Close").click()
    expect(popup).to_be_hidden()

    sidebar = page.locator("#sidebar")
    sidebar.get_by_role("link", name="Cluster info").click()
    page.get_by_role("link", name=re.compile("Cluster c1")).click()
    expect(page.get_by_role("heading", name="Cluster c1")).to_be_visible()
    expect(page.locator('[data-field="software_version"]')).to_have_text(re.compile(r"^3\.0\."))
    expect(page.locator('[data-field="instance_count"]')).to_have_text("8")
    expect(page.locator("#ipolicy")).to_contain_text("Memory")

    sidebar.get_by_role("link", name="Nodes").click()
    rows = page.locator("#node-list tbody tr")
    expect(rows).to_have_count(4)
    page.locator('[data-role-filter="offline"]').click()
    expect(rows).to_have_count(1)
    expect(page.locator('tr[data-node="node4.example.test"]')).to_have_class(re.compile("table-danger"))
    expect(page).to_have_url(re.compile(r"role=offline"))
    page.locator('[data-role-filter="master"]').click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("node1.example.test")
    # a search typed after a role button keeps that role (the button swaps the list, not the form)
    page.locator("#node-search").fill("example")
    expect(page).to_have_url(re.compile(r"q=example"))
    expect(page).to_have_url(re.compile(r"role=master"))
    expect(rows).to_have_count(1)

    sidebar.get_by_role("link", name="Jobs").click()
    expect(page.locator("#job-list tbody tr")).to_have_count(31)  # the seeded 30 and the role change
    page.locator('[data-status-filter="error"]').click()
    expect(page.locator('#job-list tbody tr[data-status="error"]').first).to_be_visible()
    expect(page.locator('#job-list tbody tr[data-status="success"]')).to_have_count(0)
    # choosing a cluster after a status button keeps that status
    page.locator("#job-cluster").select_option("c1")
    expect(page).to_have_url(re.compile(r"cluster=c1"))
    expect(page).to_have_url(re.compile(r"status=error"))
    expect(page.locator('#job-list tbody tr[data-status="success"]')).to_have_count(0)
    page.locator(f'tr[data-job="c1-{failed["id"]}"] a').click()
    dialog = page.locator("#job-modal")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#job-failure")).to_contain_text(message)
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()

    # an unknown job says so in the dialog
    page.goto(live_server.url + "/jobs/")
    page.evaluate("""() => { const a = document.querySelector('#job-list tbody a');
                             a.setAttribute('hx-get', '/cluster/jobdetails/?cluster=c1&jobid=9999'); htmx.process(a); }""")
    page.locator("#job-list tbody a").first.click()
    expect(page.locator("#job-modal [data-job-missing]")).to_be_visible()

    # the jobs page in Greek
    page.goto(live_server.url + "/jobs/")
    page.locator("#language-menu").click()
    page.get_by_role("button", name="Ελληνικά").click()
    expect(page.get_by_role("heading", name="Εργασίες")).to_be_visible()
    expect(page.locator('[data-status-filter="error"]')).to_contain_text("σφάλμα")
