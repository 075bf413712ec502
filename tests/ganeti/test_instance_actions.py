"""The detail page, start/shutdown/reboot through the views against a simulated cluster, the job lock,
the audit entries, and the JOB handler in a real watcher process against the real beanstalkd."""

import json

import pytest
from django.urls import reverse

from auditlog.models import AuditEntry
from ganeti.models import Network
from ganeti.selectors import instance_pending_job
from tests.ganeti.instance_setup import PREFIX, names, set_tags, tags_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration,
              pytest.mark.usefixtures("empty_inventory")]


def url(action, cluster, name):
    return reverse(f"ganeti:instance_{action}", args=[cluster.slug, name])


def live_state(sim, name):
    return sim.request("GET", f"/2/instances/{name}")[1]


def running_instance(sim):
    return next(name for name in names(sim)[0::2] if live_state(sim, name)["status"] == "running")


def test_the_detail_page_shows_the_live_instance_with_eui64_addresses(client, sim, cluster, roles):
    name = names(sim)[0]
    live = live_state(sim, name)
    Network.objects.create(cluster=cluster, description="LAN", link=live["nic.links"][0],
                           ipv6_prefix="2001:db8:1::/64")
    client.force_login(roles["owner"])
    page = client.get(url("detail", cluster, name))
    assert page.status_code == 200
    text = page.content.decode()
    mac = live["nic.macs"][0]
    octets = [int(part, 16) for part in mac.split(":")]
    expected = "2001:db8:1::%x:%xff:fe%x:%x" % ((octets[0] ^ 2) << 8 | octets[1], octets[2], octets[3],
                                                 octets[4] << 8 | octets[5])
    import ipaddress
    assert str(ipaddress.IPv6Address(expected)) in text
    assert mac in text and live["os"] in text and live["pnode"] in text and "alice" in text
    assert f"{live['beparams']['maxmem']} MiB" in text


def test_the_detail_page_says_when_the_cluster_does_not_answer(client, sim, cluster, roles):
    name = names(sim)[0]
    client.force_login(roles["owner"])
    assert client.get(reverse("ganeti:home")).status_code == 200  # a snapshot exists
    sim.set_faults(mode="error502")
    page = client.get(url("detail", cluster, name))
    assert page.status_code == 503 and "does not answer now" in page.content.decode()


def test_reboot_submits_a_job_records_it_and_shows_job_pending_until_it_ends(client, simulators, cluster_on, roles):
    sim = simulators(instances=6, owners="alice", seed=3, job_duration_ms=4000)  # jobs of 1-6 s
    cluster = cluster_on(sim, "c1")
    name = running_instance(sim)
    set_tags(sim, name, add=[f"{PREFIX}:needsreboot"])
    client.force_login(roles["owner"])
    answer = client.post(url("reboot", cluster, name), follow=True)
    assert answer.status_code == 200
    lock = instance_pending_job(cluster, name)
    assert lock and lock["action"] == "reboot"
    assert f"job {lock['job_id']} submitted" in answer.content.decode()
    entry = AuditEntry.objects.get()
    assert (entry.requester, entry.action, entry.job_id, entry.authorized, entry.cluster_slug, entry.ip) == (
        roles["owner"], "reboot", lock["job_id"], True, "c1", "127.0.0.1")
    row = client.get(reverse("ganeti:instances_json"), {"q": name}).json()["rows"][0]
    assert "job_pending" in row["labels"] and row["pending_job"] == lock["job_id"]
    second = client.post(url("shutdown", cluster, name), follow=True)
    assert "still running" in second.content.decode()
    assert AuditEntry.objects.count() == 1
    sim.wait_job(lock["job_id"])
    # The detail page's poll sees the end: lock released, outcome recorded, needsreboot removed.
    panel = client.get(url("poll", cluster, name))
    assert panel.status_code == 200 and "hx-trigger" not in panel.content.decode()
    assert instance_pending_job(cluster, name) is None
    assert "ended: success" in AuditEntry.objects.get().details
    wait_until(lambda: f"{PREFIX}:needsreboot" not in tags_of(sim, name))  # the tag job runs next


def wait_until(condition, timeout=15):
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "still not so"
        time.sleep(0.1)


def test_shutdown_then_startup_change_the_instance_on_the_cluster(client, sim, cluster, roles):
    name = running_instance(sim)
    client.force_login(roles["group_owner"] if name == names(sim)[4] else roles["owner"])
    client.post(url("shutdown", cluster, name))
    sim.wait_job(instance_pending_job(cluster, name)["job_id"])
    assert live_state(sim, name)["status"] == "ADMIN_down"
    client.get(url("poll", cluster, name))
    client.post(url("startup", cluster, name))
    sim.wait_job(instance_pending_job(cluster, name)["job_id"])
    assert live_state(sim, name)["status"] == "running"
    assert list(AuditEntry.objects.order_by("created").values_list("action", flat=True)) == ["shutdown", "startup"]


def test_htmx_gets_a_fragment_with_the_message(client, simulators, cluster_on, roles):
    # Jobs long enough to be still running when the fragment is drawn, however busy the machine.
    sim = simulators(instances=6, owners="alice", owner_groups="staff", seed=3, job_duration_ms=1500)
    cluster = cluster_on(sim, "c1")
    name = running_instance(sim)
    client.force_login(roles["owner"])
    row = client.post(url("reboot", cluster, name), {"next": "list"}, HTTP_HX_REQUEST="true")
    text = row.content.decode()
    assert text.lstrip().startswith("<tr") and "job pending" in text and "submitted" in text
    sim.wait_job(instance_pending_job(cluster, name)["job_id"])
    client.get(url("poll", cluster, name))
    panel = client.post(url("reboot", cluster, name), {"next": "panel"}, HTTP_HX_REQUEST="true")
    text = panel.content.decode()
    assert 'id="instance-panel"' in text and "hx-trigger=\"every 3s\"" in text and "submitted" in text


def test_a_rapi_failure_is_reported_with_ganetis_reason_and_nothing_is_recorded(client, sim, cluster, roles):
    stopped = next((n for n in names(sim)[0::2] if live_state(sim, n)["admin_state"] == "down"), None)
    name = running_instance(sim)
    client.force_login(roles["owner"])
    sim.set_faults(mode="error500", paths="/reboot")
    answer = client.post(url("reboot", cluster, name), follow=True)
    text = answer.content.decode()
    assert "failed" in text and "500" in text
    assert AuditEntry.objects.count() == 0 and instance_pending_job(cluster, name) is None
    sim.set_faults(mode=None)
    if stopped:  # Ganeti refuses to reboot a stopped instance: its reason reaches the page
        text = client.post(url("reboot", cluster, stopped), follow=True).content.decode()
        assert "failed" in text or "submitted" in text


def test_an_admin_locked_instance_refuses_owner_actions_but_not_a_superuser(client, sim, cluster, roles):
    name = running_instance(sim)
    set_tags(sim, name, add=[f"{PREFIX}:adminlock"])
    client.force_login(roles["owner"])
    assert client.post(url("shutdown", cluster, name)).status_code == 403
    assert live_state(sim, name)["status"] == "running" and instance_pending_job(cluster, name) is None
    refused = AuditEntry.objects.get()
    assert refused.authorized is False and refused.job_id is None
    client.force_login(roles["superuser"])
    assert client.post(url("shutdown", cluster, name)).status_code == 302
    assert instance_pending_job(cluster, name)


def test_the_watcher_follows_the_job_releases_the_lock_and_records_the_end(client, sim, cluster, roles, queue, tube,
                                                                           run_watcher):
    name = running_instance(sim)
    set_tags(sim, name, add=[f"{PREFIX}:needsreboot"])
    client.force_login(roles["owner"])
    client.post(url("reboot", cluster, name))
    lock = instance_pending_job(cluster, name)
    message = json.loads(queue.peek_ready().body)
    assert message == {"type": "JOB", "cluster": "c1", "job_id": lock["job_id"], "instance": name, "action": "reboot"}
    run_watcher()
    assert instance_pending_job(cluster, name) is None
    assert "ended: success" in AuditEntry.objects.get().details
    assert f"{PREFIX}:needsreboot" not in tags_of(sim, name)
    stats = queue.stats_tube(tube)
    assert stats["current-jobs-ready"] == stats["current-jobs-buried"] == stats["current-jobs-delayed"] == 0


def test_the_watcher_retries_when_the_cluster_does_not_answer(sim, cluster, queue, tube, run_watcher):
    sim.set_faults(mode="error502")
    queue.put(json.dumps({"type": "JOB", "cluster": "c1", "job_id": 1, "instance": "x", "action": "reboot"}))
    run_watcher()
    assert queue.stats_tube(tube)["current-jobs-delayed"] == 1  # kept, to be tried again


def test_starting_a_stopped_instance_clears_needsreboot_and_a_running_one_is_not_started(client, sim, cluster, roles):
    name = running_instance(sim)
    client.force_login(roles["group_owner"] if name == names(sim)[4] else roles["owner"])
    set_tags(sim, name, add=[f"{PREFIX}:needsreboot"])
    refused = client.post(url("startup", cluster, name), follow=True)
    assert "running already" in refused.content.decode() and not AuditEntry.objects.exists()
    client.post(url("shutdown", cluster, name))
    sim.wait_job(instance_pending_job(cluster, name)["job_id"])
    client.get(url("poll", cluster, name))
    assert f"{PREFIX}:needsreboot" in tags_of(sim, name)                # a shutdown changes nothing
    client.post(url("startup", cluster, name))
    sim.wait_job(instance_pending_job(cluster, name)["job_id"])
    client.get(url("poll", cluster, name))                              # sees the end of the start
    wait_until(lambda: f"{PREFIX}:needsreboot" not in tags_of(sim, name))


@pytest.mark.parametrize("path", [
    "/instances/c1/inst0001.ganeti.test%00/", "/instances/c%001/inst0001.ganeti.test/",
    "/instances/c1/inst0001.ganeti.test%3Fbulk=1/", "/instances/c1/../", "/instances/c1/%2E%2E/poll/",
])
def test_names_no_instance_can_have_answer_404_not_500(client, sim, cluster, roles, path):
    client.force_login(roles["superuser"])
    client.raise_request_exception = False
    assert client.get(path).status_code == 404
    assert client.post(path.rstrip("/").rsplit("/", 1)[0] + "/inst0001.ganeti.test%3F/startup/").status_code == 404
    assert not AuditEntry.objects.exists()
