"""The statistics page in Debian's Chromium: a helpdesk user sees the charts drawn (their canvases
hold pixels), opens their tables, sorts the per-owner table (htmx), and sees the same page in Greek."""

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from apply.models import InstanceApplication
from tests.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("empty_inventory")]

CHARTS = ("chart-applications", "chart-instances", "chart-states")
DRAWN = """id => {
  const canvas = document.getElementById(id);
  if (!canvas || !window.Chart || !Chart.getChart(canvas) || !canvas.width) return false;
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
  return false;
}"""


def test_the_statistics_page_draws_its_charts_in_both_languages(live_server, page, django_user_model, user,
                                                                 simulators, cluster_on):
    sim = simulators(instances=8, owners="alice,bob", seed=7)
    cluster_on(sim, "c1")
    hal = django_user_model.objects.create_user("hal", "hal@example.org", "hal-secret-pw")
    hal.user_permissions.add(Permission.objects.get(codename="view_instances"))
    InstanceApplication.objects.create(hostname="vm1.example.org", memory=1024, vcpus=1, disk_size=5,
                                       operating_system="debian", comments="test", applicant=user)

    log_in(page, live_server.url, "hal", "hal-secret-pw")
    page.get_by_role("link", name="Statistics").click()
    expect(page.get_by_role("heading", name="Platform statistics")).to_be_visible()
    for chart in CHARTS:
        page.wait_for_function(DRAWN, arg=chart)
    # The numbers behind the running/stopped chart, in its table.
    expect(page.locator("#table-states")).to_be_hidden()
    page.locator("#table-states").locator("xpath=ancestor::details").locator("summary").click()
    expect(page.locator('#table-states tr[data-cluster="c1"] td')).to_have_count(3)
    expect(page.locator('[data-counter="instances"]')).to_have_text("8")

    # The per-owner table sorts on the server; htmx swaps it in place.
    rows = page.locator("#owner-table tbody tr")
    expect(rows).to_have_count(2)
    page.locator("#owner-table thead").get_by_role("link", name="Owner").click()
    expect(page).to_have_url(f"{live_server.url}/stats/?sort=owner")
    expect(rows.first).to_have_attribute("data-owner", "user:alice")
    page.locator("#owner-table thead").get_by_role("link", name="Owner").click()
    expect(rows.first).to_have_attribute("data-owner", "user:bob")

    # In Greek: the same charts, the words translated.
    page.locator("#language-menu").click()
    page.get_by_role("button", name="Ελληνικά").click()
    expect(page.get_by_role("heading", name="Στατιστικά της πλατφόρμας")).to_be_visible()
    for chart in CHARTS:
        page.wait_for_function(DRAWN, arg=chart)
    expect(page.get_by_text("Εμφάνιση των αριθμών").first).to_be_visible()
