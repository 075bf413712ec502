"""The home page and /instances/json/ against a simulated cluster: who sees which instances, labels,
search, sorting, paging, a cluster that does not answer."""

import pytest
from django.urls import reverse

from tests.ganeti.instance_setup import PREFIX, names, set_tags
from tests.helpers import add_cluster, free_port

pytestmark = [pytest.mark.django_db, pytest.mark.integration,
              pytest.mark.usefixtures("empty_inventory")]


def listed(client, **params):
    answer = client.get(reverse("ganeti:instances_json"), params)
    assert answer.status_code == 200
    return answer.json()


def test_a_user_sees_exactly_their_instances_directly_or_through_a_group(client, sim, cluster, roles):
    everything = names(sim)
    client.force_login(roles["owner"])
    mine = listed(client)
    assert [row["name"] for row in mine["rows"]] == everything[0::2]
    assert mine["total"] == mine["filtered"] == 3 and mine["errors"] == []
    assert "users" not in mine["rows"][0]  # owner columns are for helpdesk
    client.force_login(roles["group_owner"])
    assert [row["name"] for row in listed(client)["rows"]] == [everything[4]]
    client.force_login(roles["other"])
    assert listed(client)["rows"] == []
    page = client.get(reverse("ganeti:home"))
    assert "You have no instances yet." in page.content.decode()


def test_helpdesk_sees_every_instance_with_node_network_and_owner(client, sim, cluster, roles):
    client.force_login(roles["helpdesk"])
    data = listed(client)
    assert [row["name"] for row in data["rows"]] == names(sim)
    first = data["rows"][0]
    assert first["users"] == ["alice"] and first["node"].startswith("node")
    page = client.get(reverse("ganeti:home")).content.decode()
    assert "Owners" in page and first["node"] in page


def test_search_sort_filter_and_paging_happen_on_the_server(client, sim, cluster, roles):
    client.force_login(roles["superuser"])
    everything = names(sim)
    assert [row["name"] for row in listed(client, sort="-name")["rows"]] == everything[::-1]
    assert [row["name"] for row in listed(client, q="user:alice")["rows"]] == everything[0::2]
    assert [row["name"] for row in listed(client, q="ALICE")["rows"]] == everything[0::2]
    node = listed(client)["rows"][1]["node"]
    found = listed(client, q=node)["rows"]
    assert found and all(node in [row["node"], *row["secondary_nodes"]] for row in found)
    assert listed(client, cluster="nope")["total"] == 0
    assert listed(client, cluster="c1")["total"] == 6
    paged = client.get(reverse("ganeti:home"), {"page": 2, "sort": "name"})
    assert paged.status_code == 200
    data = listed(client, page=99, sort="bogus")
    assert data["page"] == 1 and data["sort"] == "name"  # out of range: the last page; unknown sort: by name


def test_labels_admin_lock_isolation_needs_reboot(client, sim, cluster, roles):
    name = names(sim)[0]
    set_tags(sim, name, add=[f"{PREFIX}:adminlock", f"{PREFIX}:isolate", f"{PREFIX}:needsreboot"])
    client.force_login(roles["owner"])
    row = listed(client, q=name)["rows"][0]
    assert {"admin_lock", "isolated", "needs_reboot"} <= set(row["labels"])
    assert row["actions"] == []  # admin-locked: no owner actions
    page = client.get(reverse("ganeti:home"), {"q": name}).content.decode()
    assert "admin lock" in page and "needs reboot" in page and "isolated" in page


def test_node_group_maintenance_label(client, sim, cluster, roles):
    group = sim.request("GET", "/2/groups?bulk=1")[1][0]["name"]
    sim.run_job("PUT", f"/2/groups/{group}/tags?tag=locked")
    client.force_login(roles["owner"])
    assert all("maintenance" in row["labels"] for row in listed(client)["rows"])


def test_a_cluster_that_does_not_answer_is_named_in_a_banner(client, sim, cluster, roles, simulators):
    add_cluster(sim, "dead", port=free_port())
    client.force_login(roles["owner"])
    data = listed(client)
    assert [error["cluster"] for error in data["errors"]] == ["dead"] and len(data["rows"]) == 3
    page = client.get(reverse("ganeti:home")).content.decode()
    assert "Cluster dead did not answer" in page


def test_the_first_page_renders_25_rows_of_many(client, simulators, cluster_on, roles):
    cluster_on(simulators(instances=300, owners="alice", seed=1), "big")
    client.force_login(roles["helpdesk"])
    page = client.get(reverse("ganeti:home")).content.decode()
    assert page.count("<tr id=\"instance-") == 25
    assert listed(client)["total"] == 300 and len(listed(client)["rows"]) == 25
