"""Rename (stopped), reinstall and destroy through the e-mailed links against the real Ganeti 3.0
testbed (tests/testbed.py): what the simulator tests prove, once against the real thing. The instance
is made here under a unique name and removed at the end whatever happens."""

from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.urls import reverse

from auditlog.models import AuditEntry
from tests.contract.backends import create_instance, delete_quietly, make_backend, unique_name
from tests.mail import link_in

pytestmark = [pytest.mark.django_db, pytest.mark.integration, pytest.mark.real_ganeti,
              # the contract helpers reach the self-signed testbed unverified
              pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")]


@pytest.fixture
def testbed_instance(ganeti_testbed):
    backend = make_backend("real", ganeti_testbed.host, ganeti_testbed.port,
                           (ganeti_testbed.username, ganeti_testbed.password),
                           (ganeti_testbed.readonly_username, ganeti_testbed.readonly_password))
    names = [unique_name("h4b"), unique_name("h4b-renamed")]
    try:
        create_instance(backend, names[0], start=False, tags=["ganetimgr:user:alice"])
        yield backend, names
    finally:
        for name in names:
            delete_quietly(backend, name)


def confirm(client, smtp_sink, subject_part):
    link = urlsplit(link_in(smtp_sink.wait_for("alice@example.org", subject_part, timeout=20)["body"])).path
    smtp_sink.clear()
    assert client.get(link).status_code == 200
    assert client.post(link).status_code == 302
    return AuditEntry.objects.order_by("-pk").first()


def test_rename_reinstall_destroy_through_mailed_links_on_real_ganeti(client, user, smtp_sink, testbed_instance,
                                                                      testbed_cluster):
    backend, (name, new_name) = testbed_instance
    cache.clear()
    client.force_login(user)

    def url(route, instance):
        return reverse(f"ganeti:{route}", args=[testbed_cluster.slug, instance])

    assert client.post(url("instance_rename", name), {"new_name": new_name}).status_code == 302
    entry = confirm(client, smtp_sink, "rename requested")
    assert entry.action == "rename" and backend.client.wait_for_job(entry.job_id, timeout=180)["status"] == "success"
    assert backend.client.get_instance(new_name)["name"] == new_name

    assert client.post(url("instance_reinstall", new_name), {"operating_system": ""}).status_code == 302
    entry = confirm(client, smtp_sink, "re-installation requested")
    job = backend.client.wait_for_job(entry.job_id, timeout=300)
    assert job["status"] == "success", job.get("error_message")
    assert backend.client.get_instance(new_name)["admin_state"] == "down"     # it was stopped: stays stopped

    assert client.post(url("instance_destroy", new_name)).status_code == 302
    entry = confirm(client, smtp_sink, "destruction requested")
    assert backend.client.wait_for_job(entry.job_id, timeout=180)["status"] == "success"
    assert client.get(url("instance_detail", new_name)).status_code == 404
