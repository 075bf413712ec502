"""Cluster info, nodes and jobs against the real Ganeti 3.0 testbed: the pages show the real
cluster's version and node, and a job submitted here (starting an instance that does not exist: it fails
in Ganeti's prerequisite check, changing nothing) is listed with its real error in the details.
Nothing is created on the testbed, and no node is ever power-cycled."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from ganeti.rapi.connection import client_for
from tests.contract.backends import RUN_ID

pytestmark = [pytest.mark.django_db, pytest.mark.integration, pytest.mark.real_ganeti,
              pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning"),
              pytest.mark.usefixtures("empty_inventory")]


def test_cluster_info_nodes_and_a_failed_job_of_the_real_cluster(client, testbed_cluster, django_user_model):
    helpdesk = django_user_model.objects.create_user(f"hal-{RUN_ID}", "hal@example.org", "hal-secret-pw")
    helpdesk.user_permissions.add(Permission.objects.get(codename="view_instances"))
    client.force_login(helpdesk)
    rapi = client_for(testbed_cluster)
    info = rapi.get_info()
    nodes = rapi.get_nodes()
    missing = f"missing-{RUN_ID}.ganeti.test"
    job_id = rapi.startup_instance(missing)
    job = rapi.wait_for_job(job_id, timeout=60)
    assert job["status"] == "error", job

    detail = client.get("/cluster/detail/json/?cluster=testbed").json()
    assert detail["errors"] == [] and detail["info"]["software_version"] == info["software_version"]
    assert info["software_version"].startswith("3.0.")
    assert sorted(node["name"] for node in detail["nodes"]) == sorted(node["name"] for node in nodes)
    assert detail["nodes"][0]["role"] == "master" and detail["instance_count"] is not None
    page = client.get("/cluster/detail/?cluster=testbed").content.decode()
    assert f'<td data-field="software_version">{info["software_version"]}</td>' in page

    node_rows = client.get("/cluster/jnodes/").json()["rows"]
    assert {row["name"] for row in node_rows} == {node["name"] for node in nodes}
    assert all(row["memory_total"] for row in node_rows if row["role"] != "offline")
    assert nodes[0]["name"] in client.get("/cluster/nodes/").content.decode()

    jobs = client.get("/jobs/json/?status=error").json()
    mine = [row for row in jobs["rows"] if row["id"] == job_id]
    if not mine:  # not on the first page of errors: ask for this cluster's jobs until it is found
        pages = client.get("/jobs/json/?status=error").json()["pages"]
        mine = [row for page in range(2, pages + 1)
                for row in client.get(f"/jobs/json/?status=error&page={page}").json()["rows"] if row["id"] == job_id]
    assert mine and mine[0]["summary"] == [f"INSTANCE_STARTUP({missing})"]
    body = client.get(mine[0]["detail_url"], HTTP_HX_REQUEST="true").content.decode()
    assert 'id="job-failure"' in body and "A prerequisite is not met" in body
    assert missing in body and "(unknown_entity)" in body
