"""The instance pages against the real Ganeti 3.0 testbed: a user who owns an instance there sees it on
the home page and in /instances/json/, opens its live detail page, and shuts it down, starts it and
reboots it through the views; the real watcher (watcher.py --burst) follows each job to its end.

The testbed is shared with other test runs: the instance is created here under a unique name, owned
(by tag) by a user with a unique name, and removed at the end whatever happened. Nothing here touches
other instances, and no node is ever power-cycled.
"""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.urls import reverse

from auditlog.models import AuditEntry
from ganeti.selectors import instance_pending_job
from tests.contract.backends import (RUN_ID, SUITE_TAG, create_instance, delete_leftovers, delete_quietly,
                                     make_backend, unique_name)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration, pytest.mark.real_ganeti,
              pytest.mark.slow,
              pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning"),
              pytest.mark.usefixtures("empty_inventory")]


@pytest.fixture(scope="module")
def rapi(ganeti_testbed):
    backend = make_backend("real", ganeti_testbed.host, ganeti_testbed.port,
                           (ganeti_testbed.username, ganeti_testbed.password),
                           (ganeti_testbed.readonly_username, ganeti_testbed.readonly_password))
    delete_leftovers(backend)
    return backend


@pytest.fixture
def owner(django_user_model):
    # A name no other run's instances carry in their owner tags.
    return django_user_model.objects.create_user(f"owner-{RUN_ID}", f"owner-{RUN_ID}@example.org", "owner-secret-pw")


@pytest.fixture
def instance_name(rapi, owner):
    """A running `file` instance on the testbed, owned by `owner` through its user tag; removed at the end."""
    name = unique_name("views")
    try:
        create_instance(rapi, name, tags=[f"{settings.GANETI_TAG_PREFIX}:user:{owner.username}"])
        yield name
    finally:
        delete_quietly(rapi, name)


def queued_messages(queue, tube) -> list[dict]:
    stats = queue.stats_tube(tube)
    return [json.loads(queue.peek_ready().body)] if stats["current-jobs-ready"] else []


def json_row(client, name):
    answer = client.get(reverse("ganeti:instances_json"), {"q": name})
    assert answer.status_code == 200
    body = answer.json()
    assert body["errors"] == [], body["errors"]
    rows = [row for row in body["rows"] if row["name"] == name]
    assert len(rows) == 1, body
    return rows[0]


def act(client, cluster, name, action, rapi, queue, tube, run_watcher) -> dict:
    """POST the action as the browser's plain form does; the watcher follows the job to its end.
    Returns the audit entry of the action."""
    answer = client.post(reverse(f"ganeti:instance_{action}", args=[cluster.slug, name]), follow=True)
    assert answer.status_code == 200
    lock = instance_pending_job(cluster, name)
    assert lock and lock["action"] == action, lock
    assert f"job {lock['job_id']} submitted" in answer.content.decode()
    # Until the job's end is seen, the list says so (the list itself may see the end first: a fast job).
    row = json_row(client, name)
    assert (row["pending_job"], "job_pending" in row["labels"]) in ((lock["job_id"], True), (None, False))
    assert queued_messages(queue, tube) == [{"type": "JOB", "cluster": cluster.slug, "job_id": lock["job_id"],
                                      "instance": name, "action": action}]
    log = run_watcher(timeout=300)
    assert instance_pending_job(cluster, name) is None, log
    assert queued_messages(queue, tube) == []
    job = rapi.client.get_job(lock["job_id"])
    assert job["status"] == "success", job
    entry = AuditEntry.objects.get(job_id=lock["job_id"], cluster_slug=cluster.slug)
    assert (entry.action, entry.authorized) == (action, True)
    assert f"Job {lock['job_id']} ended: success." in entry.details
    return entry


def test_an_owner_sees_and_operates_an_instance_on_the_real_cluster(client, rapi, testbed_cluster, owner,
                                                                    instance_name, queue, tube, run_watcher):
    cluster, name = testbed_cluster, instance_name
    live = rapi.client.get_instance(name)
    client.force_login(owner)

    # The home page and the JSON list show it (the user owns nothing else there).
    home = client.get(reverse("ganeti:home"))
    assert home.status_code == 200
    text = home.content.decode()
    assert name in text and reverse("ganeti:instance_detail", args=[cluster.slug, name]) in text
    body = client.get(reverse("ganeti:instances_json")).json()
    assert [row["name"] for row in body["rows"]] == [name] and body["filtered"] == 1 and body["errors"] == []
    row = body["rows"][0]
    assert (row["state"], row["cluster"], row["memory"], row["vcpus"], row["os"]) == (
        "running", cluster.slug, 128, 1, live["os"])
    assert set(row["actions"]) == {"startup", "shutdown", "reboot"}

    # The detail page is read live from the cluster.
    page = client.get(reverse("ganeti:instance_detail", args=[cluster.slug, name]))
    assert page.status_code == 200
    text = page.content.decode()
    assert name in text and live["pnode"] in text and live["os"] in text and "128 MiB" in text
    assert live["nic.macs"][0] in text and owner.username in text and "running" in text

    # shutdown -> stopped, startup -> running, reboot -> running; each job followed by the real watcher.
    shutdown = act(client, cluster, name, "shutdown", rapi, queue, tube, run_watcher)
    stopped = rapi.client.get_instance(name)
    assert (stopped["status"], stopped["admin_state"], stopped["oper_state"]) == ("ADMIN_down", "down", False)
    assert json_row(client, name)["state"] == "stopped"

    startup = act(client, cluster, name, "startup", rapi, queue, tube, run_watcher)
    assert rapi.client.get_instance(name)["status"] == "running"
    assert json_row(client, name)["state"] == "running"

    reboot = act(client, cluster, name, "reboot", rapi, queue, tube, run_watcher)
    assert rapi.client.get_instance(name)["status"] == "running"
    row = json_row(client, name)
    assert row["state"] == "running" and "job_pending" not in row["labels"]

    # The owner's history names the three jobs, in order.
    entries = list(AuditEntry.objects.filter(cluster_slug=cluster.slug, instance_name=name).order_by("created"))
    assert [(e.action, e.job_id, e.requester) for e in entries] == [
        ("shutdown", shutdown.job_id, owner), ("startup", startup.job_id, owner), ("reboot", reboot.job_id, owner)]
    history = client.get(reverse("auditlog:history")).content.decode()
    assert all(str(e.job_id) in history for e in entries)


def test_another_user_gets_404_and_cannot_act(client, rapi, testbed_cluster, instance_name, django_user_model):
    """An instance the user does not own answers exactly like a missing one, and nothing reaches the cluster."""
    cluster = testbed_cluster
    stranger = django_user_model.objects.create_user(f"stranger-{RUN_ID}", "s@example.org", "stranger-pw")
    client.force_login(stranger)
    detail = reverse("ganeti:instance_detail", args=[cluster.slug, instance_name])
    missing = reverse("ganeti:instance_detail", args=[cluster.slug, f"missing-{RUN_ID}.ganeti.test"])
    assert client.get(detail).status_code == client.get(missing).status_code == 404
    assert client.post(reverse("ganeti:instance_shutdown", args=[cluster.slug, instance_name])).status_code == 404
    assert instance_pending_job(cluster, instance_name) is None
    assert rapi.client.get_instance(instance_name)["status"] == "running"
    body = client.get(reverse("ganeti:instances_json"), {"q": instance_name}).json()
    assert body["rows"] == [] and body["errors"] == []
    assert SUITE_TAG in rapi.client.get_instance_tags(instance_name)  # it is ours, and still there
