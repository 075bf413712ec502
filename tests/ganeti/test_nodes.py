"""The nodes page (/cluster/nodes/) and its JSON (/cluster/jnodes/) over 8 simulated clusters."""

from contextlib import ExitStack

import pytest

from tests.ganeti.infrastructure_setup import logged_in_helpdesk, register_clusters, start_simulators

pytestmark = [pytest.mark.django_db, pytest.mark.integration, pytest.mark.usefixtures("empty_inventory")]

CLUSTERS = 8
NODES = 8  # per cluster: 64 nodes, two pages of 50


@pytest.fixture(scope="module")
def sims(tmp_path_factory):
    """8 clusters of 8 nodes; on cluster 2 node3 is drained and node4 offline."""
    with ExitStack() as stack:
        sims = start_simulators(stack, tmp_path_factory.mktemp("sims"), CLUSTERS, nodes=NODES, groups=2, instances=10)
        assert sims[2].run_job("PUT", "/2/nodes/node3.sim2.test/role", "drained")["status"] == "success"
        # force: Ganeti refuses to set a node with running instances offline otherwise
        assert sims[2].run_job("PUT", "/2/nodes/node4.sim2.test/role?force=1", "offline")["status"] == "success"
        yield sims


@pytest.fixture
def clusters(sims):
    return register_clusters(sims)


@pytest.fixture
def helpdesk(client, django_user_model):
    return logged_in_helpdesk(client, django_user_model)


def test_access(client, clusters, user, superuser):
    assert client.get("/cluster/nodes/")["Location"].startswith("/user/login/")
    assert client.get("/cluster/jnodes/")["Location"].startswith("/user/login/")
    client.force_login(user)
    assert client.get("/cluster/nodes/").status_code == 403
    response = client.get("/cluster/jnodes/")
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    assert client.post("/cluster/nodes/").status_code == 405
    client.force_login(superuser)
    assert client.get("/cluster/nodes/").status_code == 200


def test_every_node_of_every_cluster_in_pages(client, clusters, helpdesk):
    first = client.get("/cluster/jnodes/").json()
    second = client.get("/cluster/jnodes/?page=2").json()
    assert (first["total"], first["filtered"], first["pages"]) == (64, 64, 2)
    assert len(first["rows"]) == 50 and len(second["rows"]) == 14
    names = [(row["cluster"], row["name"]) for row in first["rows"] + second["rows"]]
    assert len(set(names)) == 64 and names == sorted(names)
    assert first["counts"] == {"master": 8, "master-candidate": 54, "regular": 0, "drained": 1, "offline": 1}
    page = client.get("/cluster/nodes/?page=2").content.decode()
    assert page.count("<tr data-node=") == 14 and "64 of 64 nodes" in page and "Page 2 of 2" in page


def test_filters_by_role_and_cluster_and_search(client, clusters, helpdesk):
    masters = client.get("/cluster/jnodes/?role=master").json()
    assert masters["filtered"] == 8 and {row["name"].split(".")[0] for row in masters["rows"]} == {"node1"}
    offline = client.get("/cluster/jnodes/?role=offline").json()["rows"]
    assert [(row["cluster"], row["name"], row["memory_total"]) for row in offline] == [("c2", "node4.sim2.test", None)]
    drained = client.get("/cluster/jnodes/?role=drained").json()["rows"]
    assert [row["name"] for row in drained] == ["node3.sim2.test"]
    one = client.get("/cluster/jnodes/?cluster=c5").json()
    assert one["filtered"] == 8 and {row["cluster"] for row in one["rows"]} == {"c5"}
    assert one["counts"]["master"] == 1
    found = client.get("/cluster/jnodes/?q=node7.sim3").json()["rows"]
    assert [row["name"] for row in found] == ["node7.sim3.test"]
    assert client.get("/cluster/jnodes/?role=bogus&page=x").json()["filtered"] == 64  # bad input: no filter, page 1
    body = client.get("/cluster/nodes/?cluster=c2&role=offline").content.decode()
    assert body.count("<tr data-node=") == 1 and 'class="table-danger"' in body
    assert 'data-role-filter="offline"' in body


def test_rows_show_usage_groups_and_link_their_own_instances(client, clusters, sims, helpdesk):
    rows = client.get("/cluster/jnodes/?cluster=c6").json()["rows"]
    sim_nodes = {node["name"]: node for node in sims[6].request("GET", "/2/nodes?bulk=1")[1]}
    for row in rows:
        node = sim_nodes[row["name"]]
        assert row["memory_total"] == node["mtotal"] and row["disk_free"] == node["dfree"]
        assert row["memory_used_percent"] == round(100 * (node["mtotal"] - node["mfree"]) / node["mtotal"])
        assert [link["name"] for link in row["primary_instances"]] == node["pinst_list"]
        assert all(link["url"] == f"/instances/c6/{link['name']}/" for link in row["primary_instances"])
        assert [link["name"] for link in row["secondary_instances"]] == node["sinst_list"]
        assert row["group"] in ("default", "group2")
    body = client.get("/cluster/nodes/?cluster=c6").content.decode()
    instance = rows[0]["primary_instances"][0]["name"]
    assert f'href="/instances/c6/{instance}/"' in body
    assert "free of" in body and 'role="progressbar"' in body


def test_monitoring_links_when_set(client, clusters, helpdesk, settings):
    assert "servermon" not in client.get("/cluster/nodes/?cluster=c1").content.decode()
    settings.SERVER_MONITORING_URL = "https://servermon.example.org/hosts"
    body = client.get("/cluster/nodes/?cluster=c1").content.decode()
    assert 'href="https://servermon.example.org/hosts/node1.sim1.test"' in body
    assert client.get("/cluster/jnodes/?cluster=c1").json()["rows"][0]["monitoring_url"] == \
        "https://servermon.example.org/hosts/node1.sim1.test"


def test_a_dead_cluster_leaves_the_others_shown(client, clusters, sims, helpdesk):
    sims[4].set_faults(mode="drop")
    try:
        data = client.get("/cluster/jnodes/").json()
        assert data["total"] == 56 and [error["cluster"] for error in data["errors"]] == ["c4"]
        body = client.get("/cluster/nodes/").content.decode()
        assert "Cluster Cluster c4 did not answer" in body and "56 of 56 nodes" in body
    finally:
        sims[4].set_faults(mode=None)


def test_htmx_gets_the_list_only(client, clusters, helpdesk):
    fragment = client.get("/cluster/nodes/?role=master", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="node-list")
    body = fragment.content.decode()
    assert "<html" not in body and body.count("<tr data-node=") == 8


def test_nodes_in_greek(client, clusters, helpdesk):
    body = client.get("/cluster/nodes/", HTTP_ACCEPT_LANGUAGE="el").content.decode()
    assert "Κόμβοι" in body and "Εκτός σύνδεσης" in body
