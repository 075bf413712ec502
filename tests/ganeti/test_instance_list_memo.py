"""The list's per-process memos (rendered rows, one user's instances) never show what is no longer so:
a job started, a tag changed, another user, another language, a new group membership. They exist for
speed (bench/instances.py); these tests hold them to the same answers as rendering afresh."""

import gc

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from ganeti.rapi.objects import Instance
from ganeti.selectors import _owned
from ganeti.services import instance_job_started
from tests.ganeti.instance_setup import PREFIX, names, set_tags

pytestmark = [pytest.mark.django_db, pytest.mark.integration,
              pytest.mark.usefixtures("empty_inventory")]


ROW_TEMPLATE = "ganeti/_instance_row.html"


def home_row(client, name) -> tuple[str, int]:
    """The <tr> of `name` on the home page ("" when the page does not list it), and how many rows that
    request rendered through the row template (the test client records every template rendered; a row
    served from the memo is not rendered)."""
    response = client.get(reverse("ganeti:home"))
    text = response.content.decode()
    start = text.find(f'data-instance="{name}"')
    row = "" if start < 0 else text[text.rfind("<tr", 0, start):text.find("</tr>", start)]
    return row, sum(template.name == ROW_TEMPLATE for template in response.templates)


def row_of(client, name) -> str:
    return home_row(client, name)[0]


def test_rendered_rows_follow_jobs_tags_users_and_language(client, sim, cluster, roles):
    name = names(sim)[0]  # alice's
    client.force_login(roles["owner"])
    first, rendered = home_row(client, name)
    assert first and 'data-label="job_pending"' not in first and "btn-outline-warning" in first
    assert rendered == 3  # alice's three instances, rendered afresh
    again, rendered = home_row(client, name)
    assert again == first
    assert rendered == 0, "the same rows again: all three are served from the memo"

    instance_job_started(cluster=cluster, instance_name=name, job_id=424242, action="reboot", user=roles["owner"])
    pending = row_of(client, name)
    assert 'data-label="job_pending"' in pending and "btn-outline-warning" not in pending

    set_tags(sim, name, add=[f"{PREFIX}:needsreboot"])  # a new snapshot
    assert 'data-label="needs_reboot"' in row_of(client, name)

    client.force_login(roles["helpdesk"])  # the same instance, another user: no buttons, owner column
    helpdesk = row_of(client, name)
    assert "btn-outline" not in helpdesk and "bi-person" in helpdesk and 'data-label="needs_reboot"' in helpdesk

    client.force_login(roles["owner"])
    client.post(reverse("setlang"), {"language": "el", "next": "/"})
    greek = row_of(client, name)
    assert "χρειάζεται επανεκκίνηση" in greek and ">needs reboot<" not in greek


def test_an_owners_list_follows_a_new_group_membership_at_once(client, sim, cluster, roles):
    everything = names(sim)
    other = roles["other"]
    client.force_login(other)
    assert client.get(reverse("ganeti:instances_json")).json()["rows"] == []
    assert _owned, "one user's instances are remembered"
    other.groups.add(Group.objects.get(name="staff"))
    rows = client.get(reverse("ganeti:instances_json")).json()["rows"]
    assert [row["name"] for row in rows] == [everything[4]]
    client.force_login(roles["owner"])  # alternating users on the same memo
    assert [row["name"] for row in client.get(reverse("ganeti:instances_json")).json()["rows"]] == everything[0::2]


def test_a_search_works_when_the_process_built_a_snapshots_objects_twice(client, sim, cluster, roles):
    """Two greenlets of one gunicorn worker may both build the objects of a new snapshot; a sorted list
    remembered from one set and search texts from the other must still find instances (the benchmark
    caught 500s here)."""
    from ganeti.rapi import inventory

    client.force_login(roles["helpdesk"])
    everything = names(sim)
    assert [row["name"] for row in client.get(reverse("ganeti:instances_json")).json()["rows"]] == everything
    inventory._built.clear()  # the same snapshot's objects built again, as by the other greenlet
    answer = client.get(reverse("ganeti:instances_json"), {"q": everything[2]})
    assert answer.status_code == 200
    assert [row["name"] for row in answer.json()["rows"]] == [everything[2]]


def live_instances(cluster) -> int:
    """The Instance objects of `cluster` alive in this process."""
    gc.collect()
    return sum(isinstance(thing, Instance) and thing.cluster.slug == cluster.slug for thing in gc.get_objects())


def test_a_new_snapshot_lets_the_objects_of_the_old_one_go(client, sim, cluster, roles):
    """Lists remembered from a snapshot (sorted, searched, one owner's) go when a new snapshot of the same
    clusters is read: a worker's memory stays that of one snapshot however often the clusters refresh
    (10,000 instances: 20 MB more per refresh before)."""
    everything = names(sim)
    for round_number in range(3):
        set_tags(sim, everything[0], add=[f"{PREFIX}:round{round_number}"])  # a new snapshot
        for role in ("helpdesk", "owner"):
            client.force_login(roles[role])
            for query in ({}, {"sort": "-memory"}, {"q": everything[0]}):
                assert client.get(reverse("ganeti:instances_json"), query).status_code == 200
    assert live_instances(cluster) == len(everything)
