"""What ganetimgr makes of RAPI rows whatever the Ganeti version: normalised fields, tag meanings."""

import json
from pathlib import Path

import pytest

from ganeti.rapi.client import normalize_instance, normalize_job, normalize_node
from ganeti.rapi.objects import ClusterRef, Instance, Node, instance_values_from_bulk, parse_tags

SAMPLES = Path(__file__).resolve().parents[1] / "ganetisim" / "samples"  # real Ganeti 3.0.2 answers
CLUSTER = ClusterRef(1, "alpha", "Alpha cluster")


def instance(row: dict) -> Instance:
    return Instance(CLUSTER, instance_values_from_bulk(row), "ganetimgr")


def test_ownership_comes_from_user_and_group_tags_of_our_prefix_only():
    meanings = parse_tags((
        "ganetimgr:user:alice", "ganetimgr:users:bob",          # the old docs' spelling is read too
        "ganetimgr:group:ops", "ganetimgr:groups:dev", "vima:user:mallory", "ganetimgr:user:",
        "ganetimgr:org:grnet", "ganetimgr:application:42", "ganetimgr:service:mail", "ganetimgr:adminlock",
        "ganetimgr:isolate", "ganetimgr:needsreboot", "ganetimgr:whitelist_ip:192.0.2.0/28", "unrelated",
    ), "ganetimgr")
    assert meanings.users == {"alice", "bob"}
    assert meanings.groups == {"ops", "dev"}
    assert (meanings.organization, meanings.application_id, meanings.services) == ("grnet", 42, {"mail"})
    assert meanings.admin_locked and meanings.isolated and meanings.needs_reboot
    assert meanings.whitelist_ip == "192.0.2.0/28"
    assert not parse_tags(("ganetimgr:user:alice",), "vima").users


def test_a_tag_ganetimgr_did_not_write_never_breaks_the_instance():
    meanings = parse_tags(("ganetimgr:application:²", "ganetimgr:application:x", "ganetimgr:user:alice"), "ganetimgr")
    assert meanings.application_id is None and meanings.users == {"alice"}


def test_an_instance_is_owned_directly_or_through_a_group():
    web1 = instance({"name": "web1.example.org", "tags": ["ganetimgr:user:alice", "ganetimgr:group:ops"]})
    assert web1.is_owned_by("alice")
    assert web1.is_owned_by("bob", {"ops"})
    assert not web1.is_owned_by("bob", {"dev"})


@pytest.mark.parametrize(("status", "state"), [
    ("running", "running"), ("ADMIN_down", "stopped"), ("USER_down", "stopped"), ("ERROR_up", "mismatch"),
    ("ERROR_down", "mismatch"), ("ERROR_nodedown", "node_down"), ("something_new", "unknown"),
])
def test_instance_states_users_see(status, state):
    assert instance({"name": "x", "status": status}).state == state


def test_old_ganeti_boolean_admin_state_becomes_words():
    assert normalize_instance({"name": "x", "admin_state": True})["admin_state"] == "up"
    assert normalize_instance({"name": "x", "admin_state": False})["admin_state"] == "down"
    assert normalize_instance({"name": "x", "admin_state": "offline"})["admin_state"] == "offline"
    assert instance({"name": "x", "admin_state": True}).admin_state == "up"
    assert instance({"name": "x", "admin_state": False}).admin_state == "down"


@pytest.mark.parametrize(("row", "role"), [
    ({"role": "M"}, "master"), ({"role": "C"}, "master-candidate"), ({"role": "R"}, "regular"),
    ({"role": "D"}, "drained"), ({"role": "O"}, "offline"), ({"role": "master-candidate"}, "master-candidate"),
    ({"offline": True}, "offline"), ({"drained": True}, "drained"), ({"master_candidate": True}, "master-candidate"),
    ({}, "regular"),
])
def test_node_role_letters_become_words(row, role):
    assert normalize_node({"name": "n", **row})["role"] == role


def test_job_ids_become_ints_and_failures_carry_ganetis_message_and_code():
    job = normalize_job({"id": "17", "status": "error", "opresult": [
        ["OpPrereqError", ["Instance 'web1' is marked to be up, cannot rename", "wrong_state"]]]})
    assert job["id"] == 17
    assert (job["error_message"], job["error_code"]) == ("Instance 'web1' is marked to be up, cannot rename",
                                                        "wrong_state")
    exec_error = normalize_job({"id": 3, "status": "error", "opresult": [["OpExecError", ["Could not start"]]]})
    assert (exec_error["error_message"], exec_error["error_code"]) == ("Could not start", None)
    assert normalize_job({"id": 4, "status": "success", "opresult": [None]})["error_message"] is None


def test_a_null_job_status_is_an_error_not_still_running():
    # Ganeti 3.0 answers GET /2/jobs/<unknown id> with 200 and every field null.
    job = normalize_job({"id": None, "status": None, "opresult": None}, job_id=99)
    assert job["id"] == 99 and job["status"] == "error" and "does not know" in job["error_message"]
    assert normalize_job({"id": 5, "status": "waitlock"})["status"] == "waiting"  # Ganeti before 2.6
    unknown = normalize_job({"id": 6, "status": "frozen"})
    assert unknown["status"] == "unknown" and unknown["error_message"] is None


def test_real_ganeti_rows_make_instances_and_nodes():
    """The rows a real Ganeti 3.0.2 gave (the testbed's samples) build complete objects."""
    instance_row = json.loads((SAMPLES / "instances_bulk.json").read_text())[0]
    real = instance(instance_row)
    assert real.name == instance_row["name"] and real.state == "running"
    assert real.memory == instance_row["beparams"]["maxmem"] and real.vcpus == instance_row["beparams"]["vcpus"]
    assert real.disk_total == sum(instance_row["disk.sizes"])
    assert real.nic_macs == tuple(instance_row["nic.macs"]) and real.pnode == instance_row["pnode"]
    node_row = json.loads((SAMPLES / "nodes_bulk.json").read_text())[0]
    node = Node(CLUSTER, normalize_node(node_row))
    assert node.role == "master"
    assert node.memory_used_percent == round(100 * (node_row["mtotal"] - node_row["mfree"]) / node_row["mtotal"])
    assert node.primary_instances == tuple(node_row["pinst_list"])
