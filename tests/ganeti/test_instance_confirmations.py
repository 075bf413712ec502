"""Reinstall, destroy and rename confirmed through the e-mailed link, against the simulator and the real
SMTP sink: the request, the mail, the landing page, the job; and every way a link is refused."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from auditlog.models import AuditEntry
from ganeti.models import InstanceActionRequest
from ganeti.rapi import inventory
from tests.ganeti.instance_setup import PREFIX, set_tags
from tests.mail import ADMIN_ADDRESS, link_in

pytestmark = [pytest.mark.django_db, pytest.mark.integration,
              pytest.mark.usefixtures("empty_inventory")]

OWNED = "inst0001.ganeti.test"      # alice, running, drbd


def url(name, instance=OWNED, **kwargs):
    return reverse(f"ganeti:{name}", kwargs={"cluster": "c1", "instance": instance, **kwargs})


def instance_row(sim, name):
    status, row = sim.request("GET", f"/2/instances/{name}")
    return row if status == 200 else None


def shut_down(sim, name):
    sim.run_job("PUT", f"/2/instances/{name}/shutdown")


def mailed_link(smtp_sink, subject_part, to="alice@example.org"):
    return urlsplit(link_in(smtp_sink.wait_for(to, subject_part)["body"])).path


@pytest.fixture
def alice(client, roles, cluster):
    client.force_login(roles["owner"])
    return roles["owner"]


def test_reinstall_through_the_mailed_link_runs_once_and_is_audited(client, alice, sim, smtp_sink):
    response = client.post(url("instance_reinstall"), {"operating_system": "debootstrap+minimal"})
    assert response.status_code == 302 and response["Location"] == url("instance_detail")
    mail = smtp_sink.wait_for("alice@example.org", f"Instance re-installation requested: {OWNED}")
    assert "debootstrap+minimal" in mail["body"] and "ERASES" in mail["body"]
    link = urlsplit(link_in(mail["body"])).path
    token = link.rstrip("/").rsplit("/", 1)[1]
    stored = InstanceActionRequest.objects.get()
    assert stored.token_hash != token and token not in stored.token_hash   # only a hash is kept

    page = client.get(link)
    assert page.status_code == 200 and f"Reinstall {OWNED}?" in page.content.decode()
    assert instance_row(sim, OWNED)["os"] == "noop"                          # nothing happened on GET

    done = client.post(link)
    assert done.status_code == 302 and done["Location"] == url("instance_detail")
    entry = AuditEntry.objects.get(action="reinstall")
    assert entry.requester == alice and entry.authorized and entry.job_id
    assert sim.wait_job(entry.job_id)["status"] == "success"
    assert instance_row(sim, OWNED)["os"] == "debootstrap+minimal"
    assert instance_row(sim, OWNED)["status"] == "running"                 # it ran before: started again

    again = client.post(link)
    assert again.status_code == 410 and "used already" in again.content.decode()
    assert AuditEntry.objects.filter(action="reinstall").count() == 1


def test_reinstall_offers_the_clusters_os_variants_and_refuses_others(client, alice, smtp_sink):
    page = client.get(url("instance_reinstall")).content.decode()
    assert "Keep the same OS (noop)" in page and "debootstrap+default" in page
    refused = client.post(url("instance_reinstall"), {"operating_system": "windows+xp"})
    assert refused.status_code == 400 and not InstanceActionRequest.objects.exists()
    assert smtp_sink.messages() == []


def test_destroy_by_delete_then_link_removes_the_instance_from_the_lists(client, alice, sim, cluster, smtp_sink):
    response = client.delete(url("instance_destroy"))
    assert response.status_code == 200 and response.json()["ok"]
    link = mailed_link(smtp_sink, f"Instance destruction requested: {OWNED}")
    assert "cannot be undone" in client.get(link).content.decode()
    done = client.post(link)
    assert done.status_code == 302 and done["Location"] == reverse("ganeti:home")
    entry = AuditEntry.objects.get(action="destroy")
    sim.wait_job(entry.job_id)
    assert instance_row(sim, OWNED) is None
    from ganeti.services import instance_job_finished   # what the watcher's JOB handler does at the end
    instance_job_finished(cluster=cluster, instance_name=OWNED, job=sim.wait_job(entry.job_id), action="destroy")
    assert OWNED not in [i.name for i in inventory.instances(user=alice).items]
    assert client.get(url("instance_detail")).status_code == 404


def test_destroy_by_post_form(client, alice, smtp_sink):
    assert "Destroying removes" in client.get(url("instance_destroy")).content.decode()
    assert client.post(url("instance_destroy")).status_code == 302
    smtp_sink.wait_for("alice@example.org", "Instance destruction requested")


def test_rename_only_when_stopped_at_request_and_at_confirmation(client, alice, sim, smtp_sink):
    form = client.get(url("instance_rename")).content.decode()
    assert "Only a stopped instance can be renamed" in form
    refused = client.post(url("instance_rename"), {"new_name": "renamed.ganeti.test"})
    assert refused.status_code == 409 and "Only a stopped instance" in refused.content.decode()
    assert not InstanceActionRequest.objects.exists()

    shut_down(sim, OWNED)
    assert client.post(url("instance_rename"), {"new_name": "renamed.ganeti.test"}).status_code == 302
    link = mailed_link(smtp_sink, f"Instance rename requested: {OWNED}")
    sim.run_job("PUT", f"/2/instances/{OWNED}/startup")                  # started again meanwhile
    page = client.get(link)
    assert page.status_code == 200 and "Only a stopped instance" in page.content.decode()
    assert client.post(link).status_code == 409                          # refused by us, the link still works
    assert InstanceActionRequest.objects.get().used_at is None

    shut_down(sim, OWNED)
    confirmed = client.post(link)
    assert confirmed.status_code == 302 and confirmed["Location"] == "/"  # the old name's page ends with the job
    entry = AuditEntry.objects.get(action="rename")
    assert entry.details == "Rename to renamed.ganeti.test"
    assert sim.wait_job(entry.job_id)["status"] == "success"
    assert instance_row(sim, "renamed.ganeti.test") and instance_row(sim, OWNED) is None


@pytest.mark.parametrize(("new_name", "status", "says"), [
    ("not a name", 400, "valid host name"),
    ("single", 400, "fully qualified host name"),
    ("inst0002.ganeti.test", 409, "has an instance named inst0002.ganeti.test already"),
    (OWNED, 400, "the instance&#x27;s name already"),
])
def test_rename_refuses_bad_or_taken_names(client, alice, sim, smtp_sink, new_name, status, says):
    shut_down(sim, OWNED)
    response = client.post(url("instance_rename"), {"new_name": new_name})
    assert response.status_code == status and says in response.content.decode()
    assert not InstanceActionRequest.objects.exists() and smtp_sink.messages() == []


def test_a_newer_request_voids_the_earlier_link(client, alice, smtp_sink):
    client.post(url("instance_reinstall"), {"operating_system": ""})
    first = mailed_link(smtp_sink, "re-installation")
    smtp_sink.clear()
    client.post(url("instance_reinstall"), {"operating_system": "noop"})
    second = mailed_link(smtp_sink, "re-installation")
    voided = client.get(first)
    assert voided.status_code == 410 and "newer request replaced" in voided.content.decode()
    assert client.get(second).status_code == 200


def test_expired_and_unknown_links_get_a_clear_page(client, alice, smtp_sink):
    client.post(url("instance_reinstall"), {"operating_system": ""})
    link = mailed_link(smtp_sink, "re-installation")
    InstanceActionRequest.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = client.post(link)
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    unknown = client.get(reverse("ganeti:instance_action_confirm", args=["x" * 43]))
    assert unknown.status_code == 404 and "not known" in unknown.content.decode()
    assert not AuditEntry.objects.exists()


def test_links_expire_after_instance_action_active_days(client, alice, settings, smtp_sink):
    settings.INSTANCE_ACTION_ACTIVE_DAYS = 3
    client.post(url("instance_destroy"))
    stored = InstanceActionRequest.objects.get()
    assert stored.expires_at - stored.created == timedelta(days=3)
    assert "for 3 days" in smtp_sink.wait_for("alice@example.org", "destruction")["body"]


def test_mail_failure_drops_the_request_and_keeps_the_earlier_one(client, alice, smtp_sink, settings):
    client.post(url("instance_reinstall"), {"operating_system": ""})
    link = mailed_link(smtp_sink, "re-installation")
    from tests.helpers import free_port
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    response = client.post(url("instance_reinstall"), {"operating_system": "noop"})
    assert response.status_code == 503 and "could not send the confirmation mail" in response.content.decode()
    assert InstanceActionRequest.objects.count() == 1
    deleted = client.delete(url("instance_destroy"))
    assert deleted.status_code == 503 and deleted.json()["code"] == "mail_not_sent"
    assert InstanceActionRequest.objects.count() == 1
    assert client.get(link).status_code == 200


@pytest.mark.parametrize(("role", "status"), [("other", 404), ("helpdesk", 403), ("group_owner", 403)])
def test_someone_else_opening_the_link_is_refused_audited_and_reported(client, roles, cluster, sim, smtp_sink,
                                                                       role, status):
    client.force_login(roles["owner"])
    client.post(url("instance_destroy", instance="inst0005.ganeti.test"))
    link = mailed_link(smtp_sink, "destruction")
    client.force_login(roles[role])
    for method in (client.get, client.post):
        assert method(link).status_code == status
    entries = AuditEntry.objects.filter(action="refused")
    assert entries.count() == 2 and not any(e.authorized for e in entries)
    assert {e.requester for e in entries} == {roles[role]}
    report = smtp_sink.wait_for(ADMIN_ADDRESS, "Unauthorized destroy attempt on inst0005.ganeti.test")
    assert roles[role].username in report["body"]
    assert instance_row(sim, "inst0005.ganeti.test") is not None
    assert InstanceActionRequest.objects.get().used_at is None


def test_an_owner_removed_after_asking_cannot_confirm(client, alice, sim, smtp_sink):
    client.post(url("instance_reinstall"), {"operating_system": ""})
    link = mailed_link(smtp_sink, "re-installation")
    set_tags(sim, OWNED, remove=[f"{PREFIX}:user:alice"])              # the live data says: no longer hers
    assert client.post(link).status_code == 404
    assert AuditEntry.objects.get().action == "refused"
    smtp_sink.wait_for(ADMIN_ADDRESS, "Unauthorized reinstall attempt")


def test_an_admin_locked_instance_refuses_the_request_and_the_confirmation(client, alice, sim, smtp_sink):
    client.post(url("instance_reinstall"), {"operating_system": ""})
    link = mailed_link(smtp_sink, "re-installation")
    set_tags(sim, OWNED, add=[f"{PREFIX}:adminlock"])
    assert client.post(url("instance_reinstall"), {"operating_system": ""}).status_code == 403
    assert client.post(link).status_code == 403
    assert instance_row(sim, OWNED)["os"] == "noop" and not AuditEntry.objects.filter(action="reinstall").exists()


def test_a_link_never_acts_on_another_instance_that_took_the_name(client, alice, sim, smtp_sink):
    client.post(url("instance_destroy"))
    link = mailed_link(smtp_sink, "destruction")
    InstanceActionRequest.objects.update(instance_uuid="another-uuid")
    response = client.post(link)
    assert response.status_code == 410 and "no longer exists" in response.content.decode()
    assert instance_row(sim, OWNED) is not None


def test_ganetis_refusal_is_shown_and_the_link_stays_usable(client, alice, sim, smtp_sink):
    client.post(url("instance_destroy"))
    link = mailed_link(smtp_sink, "destruction")
    # The cluster's RAPI user lost its write right: Ganeti answers 403 to the delete.
    from ganeti.models import Cluster
    from ganeti.services import cluster_save
    c1 = Cluster.objects.get(slug="c1")
    c1.username = "reader"
    cluster_save(cluster=c1, new_password=sim.users["reader"][0])
    response = client.post(link)
    assert response.status_code == 502
    assert "Ganeti did not accept the change: " in response.content.decode()
    assert not AuditEntry.objects.filter(action="destroy").exists()
    assert InstanceActionRequest.objects.get().used_at is None and instance_row(sim, OWNED) is not None


def test_anonymous_users_are_sent_to_log_in(client, cluster, roles, smtp_sink):
    client.force_login(roles["owner"])
    client.post(url("instance_destroy"))
    link = mailed_link(smtp_sink, "destruction")
    client.logout()
    for method in (client.get, client.post):
        response = method(link)
        assert response.status_code == 302 and "/login" in response["Location"]
    assert InstanceActionRequest.objects.get().used_at is None


def test_ganetis_own_refusal_of_a_rename_reaches_the_audit_log(client, alice, sim, cluster, smtp_sink, rf):
    """The instance is started between our last check and Ganeti's: Ganeti's job fails ("cannot
    rename"), and its reason is recorded with the entry when the job's end is seen."""
    from ganeti.rapi.inventory import live_instance
    from ganeti.services import action_request_confirm, action_request_find, instance_job_finished

    shut_down(sim, OWNED)
    client.post(url("instance_rename"), {"new_name": "late.ganeti.test"})
    token = mailed_link(smtp_sink, "rename requested").rstrip("/").rsplit("/", 1)[1]
    stale = live_instance(cluster, OWNED)                                 # what the landing page saw: stopped
    sim.run_job("PUT", f"/2/instances/{OWNED}/startup")                  # and now it runs
    request = rf.post("/")
    request.user = alice
    job_id = action_request_confirm(request=request, action_request=action_request_find(token), instance=stale)
    job = sim.wait_job(job_id)
    assert job["status"] == "error" and "cannot rename" in str(job["opresult"])
    from ganeti.rapi.connection import client_for
    instance_job_finished(cluster=cluster, instance_name=OWNED, job=client_for(cluster).get_job(job_id),
                          action="rename")
    entry = AuditEntry.objects.get(action="rename")
    assert "ended: error" in entry.details and "cannot rename" in entry.details
    assert instance_row(sim, OWNED) and instance_row(sim, "late.ganeti.test") is None


def test_a_co_owners_request_does_not_void_the_other_owners_link(client, roles, cluster, smtp_sink):
    shared = "inst0005.ganeti.test"                                     # alice by user tag, gina by group
    client.force_login(roles["owner"])
    client.post(url("instance_reinstall", shared), {"operating_system": ""})
    alices = mailed_link(smtp_sink, "re-installation")
    client.force_login(roles["group_owner"])
    client.post(url("instance_reinstall", shared), {"operating_system": "noop"})
    ginas = mailed_link(smtp_sink, "re-installation", to="gina@example.org")
    assert client.get(ginas).status_code == 200
    client.force_login(roles["owner"])
    assert client.get(alices).status_code == 200                       # not "a newer request replaced this one"


# -- reinstall from the OS image catalogue -----------------------------------------------------------


@pytest.fixture
def catalogue(settings):
    settings.IMAGES_URL = settings.OPERATING_SYSTEMS_URLS = settings.SNF_OPERATING_SYSTEMS_URLS = []
    settings.OPERATING_SYSTEMS = {
        "none": {"description": "No operating system", "provider": "noop", "osparams": {}},
        "deb": {"description": "Debian test image", "provider": "debootstrap+default",
                "osparams": {"img_id": "debian-bookworm", "img_properties": {"SWAP": "2:512"}},
                "ssh_key_param": "img_ssh_key_url"},
    }
    return settings


def reinstall_ops(sim, job_id):
    assert sim.wait_job(job_id)["status"] == "success"
    return next(op for op in sim.request("GET", f"/2/jobs/{job_id}")[1]["ops"]
                if op["OP_ID"] == "OP_INSTANCE_REINSTALL")


def test_reinstall_offers_the_image_catalogue_and_passes_its_osparams_and_the_applications_keys(
        client, alice, sim, smtp_sink, catalogue):
    from apply.models import InstanceApplication

    application = InstanceApplication.objects.create(hostname=OWNED, memory=1024, vcpus=1, disk_size=5,
                                                     operating_system="deb", applicant=alice)
    set_tags(sim, OWNED, add=[f"{PREFIX}:application:{application.pk}"])
    form = client.get(url("instance_reinstall")).content.decode()
    assert 'value="image:deb"' in form and "Debian test image" in form and 'value="noop"' in form
    client.post(url("instance_reinstall"), {"operating_system": "image:deb"})
    assert "with Debian test image." in smtp_sink.wait_for("alice@example.org", "re-installation")["body"]
    link = mailed_link(smtp_sink, "re-installation")
    assert "Debian test image" in client.get(link).content.decode()
    client.post(link)
    op = reinstall_ops(sim, AuditEntry.objects.get(action="reinstall").job_id)
    assert op["os_type"] == "debootstrap+default"
    assert op["osparams"] == {
        "img_id": "debian-bookworm", "img_properties": '{"SWAP": "2:512"}',
        "img_ssh_key_url": f"{catalogue.SITE_URL}/application/{application.pk}/{application.ssh_keys_cookie}/ssh_keys"}
    assert instance_row(sim, OWNED)["os"] == "debootstrap+default"


def test_reinstall_from_an_image_without_an_application_puts_no_keys_in(client, alice, sim, smtp_sink, catalogue):
    client.post(url("instance_reinstall"), {"operating_system": "image:deb"})
    client.post(mailed_link(smtp_sink, "re-installation"))
    op = reinstall_ops(sim, AuditEntry.objects.get(action="reinstall").job_id)
    assert op["os_type"] == "debootstrap+default" and "img_ssh_key_url" not in op["osparams"]


def test_an_image_gone_from_the_catalogue_is_refused_at_confirmation_and_the_link_stays(
        client, alice, sim, smtp_sink, catalogue):
    client.post(url("instance_reinstall"), {"operating_system": "image:deb"})
    link = mailed_link(smtp_sink, "re-installation")
    del catalogue.OPERATING_SYSTEMS["deb"]
    catalogue.OPERATING_SYSTEMS = dict(catalogue.OPERATING_SYSTEMS)   # a new configuration: read anew
    response = client.post(link)
    assert response.status_code == 502 and "no longer offered" in response.content.decode()
    assert not AuditEntry.objects.filter(action="reinstall").exists() and instance_row(sim, OWNED)["os"] == "noop"
    assert client.get(link).status_code == 200
