"""The configuration form, admin lock and isolation against the simulator: what reaches Ganeti, what
the page says, and who may do it."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from auditlog.models import AuditEntry
from tests.ganeti.instance_setup import PREFIX, set_tags, tags_of

pytestmark = [pytest.mark.django_db, pytest.mark.integration,
              pytest.mark.usefixtures("empty_inventory")]

RUNNING = "inst0001.ganeti.test"    # alice, running, drbd
FILE = "inst0003.ganeti.test"       # alice, running, file (cannot live-migrate)


def url(name, instance=RUNNING):
    return reverse(f"ganeti:{name}", kwargs={"cluster": "c1", "instance": instance})


def hvparams(sim, name):
    return sim.request("GET", f"/2/instances/{name}")[1]["custom_hvparams"]


def finish_jobs(sim, action=None):
    entries = AuditEntry.objects.exclude(job_id=None)
    if action:
        entries = entries.filter(action=action)
    return [sim.wait_job(entry.job_id) for entry in entries.order_by("pk")]


CONFIG = {"nic_type": "paravirtual", "disk_type": "paravirtual", "boot_order": "disk", "cdrom_image_path": ""}


@pytest.fixture
def alice(client, roles, cluster):
    client.force_login(roles["owner"])
    return roles["owner"]


def test_configuration_of_a_running_instance_is_saved_and_asks_for_a_reboot(client, alice, sim):
    page = client.get(url("instance_config")).content.decode()
    assert 'value="paravirtual" selected' in page and "Hardware clock in local time" in page
    response = client.post(url("instance_config"), {**CONFIG, "nic_type": "e1000", "use_localtime": "on",
                                                    "cdrom_image_path": "https://isos.example.org/debian.iso"},
                           follow=True)
    assert "reboot it for the changes to apply" in response.content.decode()
    jobs = finish_jobs(sim)
    assert all(job["status"] == "success" for job in jobs) and len(jobs) == 2
    assert hvparams(sim, RUNNING) == {"nic_type": "e1000", "use_localtime": True,
                                      "cdrom_image_path": "https://isos.example.org/debian.iso"}
    assert f"{PREFIX}:needsreboot" in tags_of(sim, RUNNING)
    entry = AuditEntry.objects.filter(action="modify").order_by("pk").first()
    assert entry.details.startswith("Setting cdrom_image_path:https://isos.example.org/debian.iso")


def test_configuration_of_a_stopped_instance_needs_no_reboot(client, alice, sim):
    sim.run_job("PUT", f"/2/instances/{RUNNING}/shutdown")
    response = client.post(url("instance_config"), {**CONFIG, "disk_type": "scsi"}, follow=True)
    assert "Configuration saved" in response.content.decode() and "reboot" not in response.content.decode()
    finish_jobs(sim)
    assert hvparams(sim, RUNNING) == {"disk_type": "scsi"}
    assert f"{PREFIX}:needsreboot" not in tags_of(sim, RUNNING)


def test_unchanged_configuration_submits_nothing(client, alice, sim):
    response = client.post(url("instance_config"), CONFIG, follow=True)
    assert "Nothing was changed" in response.content.decode() and not AuditEntry.objects.exists()


@pytest.mark.parametrize(("data", "says"), [
    ({"cdrom_image_path": "ftp://isos.example.org/a.iso"}, "http or https address"),
    ({"cdrom_image_path": "https://user:pw@isos.example.org/a.iso"}, "without user name or password"),
    ({"cdrom_image_path": "/var/lib/isos/a.iso"}, "http or https address"),
    ({"boot_order": "cdrom"}, "Booting from the CD-ROM needs a CD-ROM image URL"),
    ({"nic_type": "virtio-net-but-wrong"}, "Select a valid choice"),
])
def test_bad_configuration_is_a_form_error_and_reaches_no_cluster(client, alice, sim, data, says):
    response = client.post(url("instance_config"), {**CONFIG, **data})
    assert response.status_code == 400 and says in response.content.decode()
    assert not AuditEntry.objects.exists() and hvparams(sim, RUNNING) == {}


def test_cdrom_hosts_can_be_restricted_and_are_never_fetched(client, alice, sim, settings):
    settings.CDROM_IMAGE_HOSTS = ["isos.example.org"]
    # 192.0.2.1 is TEST-NET: a fetch would hang until a timeout; the form answers at once.
    refused = client.post(url("instance_config"), {**CONFIG, "cdrom_image_path": "http://192.0.2.1/a.iso"})
    assert refused.status_code == 400 and "Images may come only from: isos.example.org" in refused.content.decode()
    accepted = client.post(url("instance_config"), {**CONFIG, "cdrom_image_path": "http://isos.example.org/x.iso"})
    assert accepted.status_code == 302


def test_only_owners_may_post_the_configuration(client, roles, cluster, sim):
    """The old ganetimgr took this form from anyone who could see the instance."""
    roles["helpdesk"].user_permissions.add(Permission.objects.get(codename="can_lock"))
    client.force_login(roles["helpdesk"])
    assert client.get(url("instance_config")).status_code == 403
    assert client.post(url("instance_config"), {**CONFIG, "nic_type": "e1000"}).status_code == 403
    client.force_login(roles["other"])
    assert client.post(url("instance_config"), {**CONFIG, "nic_type": "e1000"}).status_code == 404
    assert hvparams(sim, RUNNING) == {} and not AuditEntry.objects.exists()


def test_configuration_error_from_ganeti_is_shown(client, alice, sim):
    sim.set_faults(mode="error502", paths="/modify$")
    response = client.post(url("instance_config"), {**CONFIG, "nic_type": "e1000"})
    assert response.status_code == 502 and "Ganeti did not accept the change: Bad Gateway" in response.content.decode()
    assert not AuditEntry.objects.exists()


# -- admin lock ----------------------------------------------------------------------------------------


@pytest.fixture
def locker(roles):
    helpdesk = roles["helpdesk"]
    helpdesk.user_permissions.add(Permission.objects.get(codename="can_lock"),
                                  Permission.objects.get(codename="can_isolate"))
    return helpdesk


def test_helpdesk_with_can_lock_locks_and_the_owner_is_refused(client, roles, cluster, sim, locker):
    client.force_login(locker)
    response = client.post(url("instance_lock"), {"locked": "on"}, follow=True)
    assert "Instance locked" in response.content.decode()
    finish_jobs(sim)
    assert f"{PREFIX}:adminlock" in tags_of(sim, RUNNING)
    client.force_login(roles["owner"])
    assert client.get(url("instance_config")).status_code == 403
    assert client.post(url("instance_rename"), {"new_name": "x.ganeti.test"}).status_code == 403
    client.force_login(locker)
    response = client.post(url("instance_lock"), {})
    assert response.status_code == 302, response.content.decode()
    finish_jobs(sim)
    assert f"{PREFIX}:adminlock" not in tags_of(sim, RUNNING)
    assert list(AuditEntry.objects.order_by("pk").values_list("action", flat=True)) == ["lock", "unlock"]


def test_lock_needs_the_permission_and_helpdesk_or_superuser(client, roles, cluster, sim, django_user_model):
    client.force_login(roles["helpdesk"])                     # helpdesk without can_lock
    assert client.post(url("instance_lock"), {"locked": "on"}).status_code == 403
    owner = roles["owner"]
    owner.user_permissions.add(Permission.objects.get(codename="can_lock"))   # the permission alone is not enough
    client.force_login(django_user_model.objects.get(pk=owner.pk))
    assert client.post(url("instance_lock"), {"locked": "on"}).status_code == 403
    assert f"{PREFIX}:adminlock" not in tags_of(sim, RUNNING) and not AuditEntry.objects.exists()


# -- isolation ---------------------------------------------------------------------------------------------


def test_isolating_a_running_drbd_instance_tags_it_and_live_migrates_it(client, cluster, sim, locker):
    client.force_login(locker)
    pnode = sim.request("GET", f"/2/instances/{RUNNING}")[1]["pnode"]
    response = client.post(url("instance_isolate"), {"isolated": "on", "whitelist_ip": "192.0.2.17/28"}, follow=True)
    assert "being live-migrated" in response.content.decode()
    jobs = finish_jobs(sim)
    assert [job["status"] for job in jobs] == ["success", "success"]
    assert {f"{PREFIX}:isolate", f"{PREFIX}:whitelist_ip:192.0.2.16/28"} <= set(tags_of(sim, RUNNING))
    assert sim.request("GET", f"/2/instances/{RUNNING}")[1]["pnode"] != pnode

    client.post(url("instance_isolate"), {})
    finish_jobs(sim, "unisolate")
    assert not {f"{PREFIX}:isolate", f"{PREFIX}:whitelist_ip:192.0.2.16/28"} & set(tags_of(sim, RUNNING))
    assert AuditEntry.objects.filter(action="unisolate").count() == 2      # untag + migration


def test_isolating_an_instance_that_cannot_migrate_only_tags_it(client, cluster, sim, locker):
    client.force_login(locker)
    response = client.post(url("instance_isolate", FILE), {"isolated": "on"}, follow=True)
    assert "when the instance next starts or moves" in response.content.decode()
    assert len(finish_jobs(sim)) == 1 and f"{PREFIX}:isolate" in tags_of(sim, FILE)


@pytest.mark.parametrize(("whitelist", "says"), [
    ("192.0.2.0/24", "no wider than /26"),
    ("2001:db8::/48", "no wider than /64"),
    ("0.0.0.0", "would allow everyone"),
    ("not-an-address", "Enter an IPv4 or IPv6 address"),
])
def test_whitelist_is_bounded(client, cluster, sim, locker, whitelist, says):
    client.force_login(locker)
    response = client.post(url("instance_isolate"), {"isolated": "on", "whitelist_ip": whitelist})
    assert response.status_code == 400 and says in response.content.decode()
    assert not AuditEntry.objects.exists()


def test_isolation_needs_can_isolate(client, roles, cluster, sim):
    client.force_login(roles["helpdesk"])
    assert client.post(url("instance_isolate"), {"isolated": "on"}).status_code == 403
    client.force_login(roles["owner"])
    assert client.post(url("instance_isolate"), {"isolated": "on"}).status_code == 403
    assert f"{PREFIX}:isolate" not in tags_of(sim, RUNNING)


def test_detail_page_panel_shows_what_each_role_may_do(client, roles, cluster, sim, locker):
    set_tags(sim, RUNNING, add=[f"{PREFIX}:needsreboot"])
    client.force_login(roles["owner"])
    page = client.get(url("instance_detail")).content.decode()
    assert url("instance_reinstall") in page and url("instance_owners") in page and url("instance_lock") not in page
    assert "Reboot required" in page
    client.force_login(locker)
    page = client.get(url("instance_detail")).content.decode()
    assert url("instance_lock") in page and url("instance_isolate") in page and url("instance_reinstall") not in page


# -- changes made of several jobs: a later refusal says what was done ------------------------------------


def test_a_migration_refused_after_the_isolation_tags_says_the_change_is_half_done(client, cluster, sim, locker):
    client.force_login(locker)
    sim.set_faults(mode="error502", paths=r"/migrate$")
    response = client.post(url("instance_isolate"), {"isolated": "on"})
    page = response.content.decode()
    assert response.status_code == 502 and "Only partly done" in page
    tag_job = AuditEntry.objects.get(action="isolate").job_id
    assert f"jobs {tag_job} were submitted" in page                       # names the job that did run
    sim.set_faults(mode=None, paths=None)
    finish_jobs(sim)
    assert f"{PREFIX}:isolate" in tags_of(sim, RUNNING)


def test_a_needsreboot_tag_refused_after_the_configuration_says_it_was_saved(client, alice, sim):
    sim.set_faults(mode="error502", paths=r"/tags$")
    response = client.post(url("instance_config"), {**CONFIG, "disk_type": "ide"})
    page = response.content.decode()
    modify_job = AuditEntry.objects.get(action="modify").job_id
    assert response.status_code == 502 and f"Only partly done: Ganeti jobs {modify_job} were submitted" in page
    sim.set_faults(mode=None, paths=None)
    finish_jobs(sim)
    assert hvparams(sim, RUNNING)["disk_type"] == "ide"


def test_a_single_refused_job_is_not_called_partly_done(client, alice, sim):
    sim.set_faults(mode="error502", paths=r"/modify$")
    response = client.post(url("instance_config"), {**CONFIG, "disk_type": "ide"})
    page = response.content.decode()
    assert response.status_code == 502 and "Ganeti did not accept the change" in page
    assert "partly" not in page and not AuditEntry.objects.exists()
