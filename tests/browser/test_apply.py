"""Applications in Debian's Chromium: a user applies, the superuser sees the badge, reviews with the
placement of a simulated cluster (the placement part reloads when the cluster changes) and accepts and
submits; the application is submitted and its CREATE message waits on beanstalkd (the watcher's tests follow the
watcher from there)."""

import json

import pytest
from playwright.sync_api import expect

from apply import images
from apply.models import ApplicationStatus, InstanceApplication
from tests.helpers import log_in, submit_login
from tests.mail import ADMIN_ADDRESS, link_in

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_apply_review_accept_and_submit(live_server, page, browser, user, superuser, smtp_sink, simulators,
                                        cluster_on, settings, queue):
    settings.IMAGES_URL = settings.OPERATING_SYSTEMS_URLS = settings.SNF_OPERATING_SYSTEMS_URLS = []
    settings.SITE_URL = live_server.url
    images.invalidate()
    sim_a = simulators(instances=2, networks=1, seed=5, cluster_name="alpha.ganeti.test")
    sim_b = simulators(instances=2, networks=2, groups=2, seed=6, cluster_name="beta.ganeti.test")
    cluster_on(sim_a, "alpha")
    beta = cluster_on(sim_b, "beta")

    url = live_server.url
    log_in(page, url, "alice", "alice-secret-pw")
    page.get_by_role("link", name="Apply").first.click()
    page.fill("#id_hostname", "lab1.example.org")
    page.fill("#id_memory", "1024")
    page.fill("#id_vcpus", "2")
    page.fill("#id_disk_size", "10")
    page.select_option("#id_operating_system", "debian")
    page.fill("#id_comments", "Course lab server")
    page.fill("#id_admin_contact_name", "Alice Admin")
    page.fill("#id_admin_contact_phone", "+30 210 0000000")
    page.check("#id_accept_terms")
    page.get_by_role("button", name="Apply").click()
    application = InstanceApplication.objects.get(hostname="lab1.example.org")
    expect(page.get_by_text(f"filed with id #{application.pk}")).to_be_visible()

    # The reviewer follows the mailed link, sees the badge, and places the instance on beta.
    review_link = link_in(smtp_sink.wait_for(ADMIN_ADDRESS, "lab1.example.org")["body"])
    admin_context = browser.new_context()
    admin = admin_context.new_page()
    admin.goto(review_link)
    submit_login(admin, "root", "root-secret-pw")
    expect(admin.get_by_role("heading", name="Review application")).to_be_visible()
    expect(admin.locator("#sidebar .badge")).to_have_text("1")
    # htmx (loaded at the end of the page) must have wired the form before the cluster changes.
    admin.wait_for_load_state()
    admin.select_option("#id_cluster", str(beta.pk))
    # htmx replaced the placement part with beta's node groups and networks.
    expect(admin.locator("#id_node_group option[value=group2]")).to_have_count(1)
    expect(admin.locator("#id_network_choice option[value='net:net2']")).to_have_count(1)
    admin.select_option("#id_disk_template", "plain")
    admin.select_option("#id_network_choice", "net:net2")
    admin.get_by_role("button", name="Accept and submit").click()
    expect(admin.get_by_text("accepted and submitted to")).to_be_visible()
    admin_context.close()

    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert (application.cluster_id, application.network_name, application.disk_template) == (beta.pk, "net2", "plain")
    job = queue.reserve(timeout=5)
    assert json.loads(job.body) == {"type": "CREATE", "application": application.pk}
    queue.delete(job)

    # The applicant sees the progress on their own page.
    page.goto(url + f"/application/{application.pk}/")
    expect(page.locator("#application-summary")).to_contain_text("submitted")
