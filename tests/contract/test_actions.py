"""Every action the app submits reaches `success` and has the effect the app then shows.

The module's `instance` (a running `file` instance) is shared; each test first brings it to the
state it needs, so a failing test does not cascade into the next.
"""

import pytest

from tests.contract.backends import ACTING_USER, create_instance, pick_os, run_job, set_running, succeeded


def test_create_diskless_reports_the_nodes_used_and_delete_removes_it(rapi, new_instance_name):
    name = new_instance_name()
    job = create_instance(rapi, name, disk_template="diskless", start=False)
    master = rapi.client.get_info()["master"]
    # the create job's result is the list of nodes used, the primary first
    assert job["opresult"] == [[master]]
    assert job["ops"][0]["OP_ID"] == "OP_INSTANCE_CREATE"
    created = rapi.client.get_instance(name)
    assert created["disk_template"] == "diskless" and created["disk.sizes"] == []
    assert created["status"] == "ADMIN_down" and created["admin_state"] == "down" and created["oper_state"] is False
    assert name in next(node for node in rapi.client.get_nodes() if node["name"] == master)["pinst_list"]

    delete = succeeded(rapi, rapi.client.delete_instance(name))
    assert delete["ops"][0]["OP_ID"] == "OP_INSTANCE_REMOVE"
    assert name not in {row["name"] for row in rapi.client.get_instances()}


def test_create_dry_run_changes_nothing(rapi, new_instance_name):
    name = new_instance_name()
    job = succeeded(rapi, rapi.client.create_instance(
        name, disk_template="diskless", disks=[], nics=[{}], os=pick_os(rapi),
        pnode=rapi.client.get_info()["master"], start=False, dry_run=True))
    assert job["ops"][0]["dry_run"] is True
    # a dry run reports the chosen nodes by UUID, where a real create reports names
    master = rapi.client.get_node(rapi.client.get_info()["master"])
    assert job["opresult"] == [[master["uuid"]]]
    assert name not in {row["name"] for row in rapi.client.get_instances()}


def test_shutdown_then_startup(rapi, instance):
    set_running(rapi, instance, True)
    succeeded(rapi, rapi.client.shutdown_instance(instance))
    stopped = rapi.client.get_instance(instance)
    assert (stopped["status"], stopped["admin_state"], stopped["oper_state"]) == ("ADMIN_down", "down", False)
    assert stopped["oper_ram"] is None

    succeeded(rapi, rapi.client.startup_instance(instance))
    running = rapi.client.get_instance(instance)
    assert (running["status"], running["admin_state"], running["oper_state"]) == ("running", "up", True)
    assert running["oper_ram"] == running["beparams"]["maxmem"]


@pytest.mark.parametrize("reboot_type", ["hard", "soft"])
def test_reboot(rapi, instance, reboot_type):
    set_running(rapi, instance, True)
    job = succeeded(rapi, rapi.client.reboot_instance(instance, reboot_type=reboot_type))
    assert job["ops"][0]["OP_ID"] == "OP_INSTANCE_REBOOT" and job["ops"][0]["reboot_type"] == reboot_type
    assert rapi.client.get_instance(instance)["status"] == "running"


def test_tags_are_added_and_removed_as_repeated_tag_arguments(rapi, instance):
    succeeded(rapi, rapi.client.add_instance_tags(instance, ["ganetimgr:user:bob", "ganetimgr:group:ops"]))
    tags = rapi.client.get_instance_tags(instance)
    assert {"ganetimgr:user:bob", "ganetimgr:group:ops"} <= set(tags)
    assert set(rapi.client.get_instance(instance)["tags"]) == set(tags)

    succeeded(rapi, rapi.client.delete_instance_tags(instance, ["ganetimgr:user:bob"]))
    tags = rapi.client.get_instance_tags(instance)
    assert "ganetimgr:user:bob" not in tags and "ganetimgr:group:ops" in tags


def test_modify_beparams(rapi, instance):
    job = succeeded(rapi, rapi.client.modify_instance(instance, beparams={"maxmem": 256, "minmem": 192, "vcpus": 2}))
    assert job["ops"][0]["OP_ID"] == "OP_INSTANCE_SET_PARAMS"
    modified = rapi.client.get_instance(instance)
    beparams = modified["beparams"]
    assert (beparams["maxmem"], beparams["minmem"], beparams["vcpus"]) == (256, 192, 2)
    assert modified["custom_beparams"]["maxmem"] == 256
    succeeded(rapi, rapi.client.modify_instance(instance, beparams={"maxmem": 128, "minmem": 128, "vcpus": 1}))


def test_rename_while_stopped(rapi, instance, new_instance_name):
    set_running(rapi, instance, False)
    new_name = new_instance_name("renamed")   # deleted at the end if the rename back fails
    try:
        job = succeeded(rapi, rapi.client.rename_instance(instance, new_name))
        assert job["ops"][0]["OP_ID"] == "OP_INSTANCE_RENAME" and job["ops"][0]["new_name"] == new_name
        assert rapi.client.get_instance(new_name)["name"] == new_name
        assert instance not in {row["name"] for row in rapi.client.get_instances()}
    finally:
        if new_name in {row["name"] for row in rapi.client.get_instances()}:
            succeeded(rapi, rapi.client.rename_instance(new_name, instance))
    assert rapi.client.get_instance(instance)["name"] == instance


def test_reinstall_runs_shutdown_reinstall_startup_in_one_job(rapi, instance):
    set_running(rapi, instance, True)
    os_name = rapi.client.get_instance(instance)["os"]
    job = succeeded(rapi, rapi.client.reinstall_instance(instance, os=os_name))
    assert [op["OP_ID"] for op in job["ops"]] == ["OP_INSTANCE_SHUTDOWN", "OP_INSTANCE_REINSTALL",
                                                  "OP_INSTANCE_STARTUP"]
    assert job["opstatus"] == ["success"] * 3
    # RAPI builds these opcodes itself and drops reason= (Ganeti 3.0.2 rejects it as a query argument
    # next to a body, and a reason given in the query alone does not reach the opcodes either): the
    # app's own audit log must name the user.
    assert not any(entry[0] == "gnt:user" for op in job["ops"] for entry in op["reason"])
    after = rapi.client.get_instance(instance)
    assert after["status"] == "running" and after["os"] == os_name


def test_a_write_carries_the_acting_user_in_its_reason_trail(rapi, instance):
    job = succeeded(rapi, rapi.client.add_instance_tags(instance, ["contract-reason"]))
    trail = job["ops"][0]["reason"]
    # RAPI puts reason= first, as ["gnt:user", text, nanoseconds], then its own entries
    source, text, timestamp = trail[0]
    assert source == "gnt:user" and ACTING_USER in text.split(":")
    assert isinstance(timestamp, int)
    assert any(entry[0].startswith("gnt:library:rlib2:") for entry in trail[1:])
    other = rapi.client.as_user("bob")
    job = succeeded(rapi, other.delete_instance_tags(instance, ["contract-reason"]))
    assert "bob" in job["ops"][0]["reason"][0][1].split(":")


def test_migrate_and_failover_move_the_primary_node(rapi, new_instance_name):
    nodes = [node["name"] for node in rapi.client.get_nodes() if node["vm_capable"] and not node["offline"]]
    if len(nodes) < 2:
        pytest.skip(f"migrate/failover need two nodes; the {rapi.name} cluster has {len(nodes)} "
                    "(GANETI_NODES=2 contrib/ganeti-testbed/up.sh adds one)")
    name = new_instance_name()
    create_instance(rapi, name, disk_template="diskless")
    before = rapi.client.get_instance(name)["pnode"]
    target = next(node for node in nodes if node != before)
    succeeded(rapi, rapi.client.migrate_instance(name, target_node=target))
    assert rapi.client.get_instance(name)["pnode"] == target
    succeeded(rapi, rapi.client.failover_instance(name, target_node=before))
    moved_back = rapi.client.get_instance(name)
    assert moved_back["pnode"] == before and moved_back["status"] == "running"


def test_migrate_of_a_file_instance_fails_as_a_wrong_state_job(rapi, instance):
    """The app shows this failure from the job, not from the submit call."""
    job = run_job(rapi, rapi.client.migrate_instance(instance))
    assert job["status"] == "error" and job["error_code"] == "wrong_state"
    assert job["error_message"] == "Instance's disk layout 'file' does not allow migrations"
