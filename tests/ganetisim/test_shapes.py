"""The simulator answers with the shapes of real Ganeti 3.0.2 (samples recorded on the real testbed)."""

import json
from pathlib import Path

import pytest

# Copied from the real Ganeti 3.0.2 testbed's smoke run (contrib's real-ganeti samples/).
SAMPLES = Path(__file__).with_name("samples")

pytestmark = pytest.mark.slow


def sample(name):
    return json.loads((SAMPLES / f"{name}.json").read_text())


def assert_same_shape(real, simulated, where="$"):
    """Same keys at every dict level, same JSON types (null matches anything: live or unset fields)."""
    if real is None or simulated is None:
        return
    if isinstance(real, dict):
        assert isinstance(simulated, dict), where
        assert sorted(simulated) == sorted(real), f"{where}: keys differ: {set(simulated) ^ set(real)}"
        for key in real:
            assert_same_shape(real[key], simulated[key], f"{where}.{key}")
    elif isinstance(real, list):
        assert isinstance(simulated, list), where
        if real and simulated:
            assert_same_shape(real[0], simulated[0], f"{where}[0]")
    else:
        numbers = (int, float)
        if isinstance(real, bool) or isinstance(simulated, bool):
            assert type(real) is type(simulated), where
        elif isinstance(real, numbers):
            assert isinstance(simulated, numbers), where
        else:
            assert type(real) is type(simulated), f"{where}: {type(real).__name__} vs {type(simulated).__name__}"


def get(sim, path):
    status, payload = sim.request("GET", path)
    assert status == 200, payload
    return payload


def test_info_has_every_real_key_and_type(sim):
    info = get(sim, "/2/info")
    real = sample("info")
    assert sorted(info) == sorted(real)
    for key in real:
        if key not in ("hvparams", "drbd_helper", "drbd_usermode_helper", "vg_name", "volume_group_name"):
            assert_same_shape(real[key], info[key], key)
    assert info["software_version"] == "3.0.2" and info["default_hypervisor"] == "kvm"


def test_instances_single_and_bulk_match_the_real_samples(sim):
    bulk = get(sim, "/2/instances?bulk=1")
    assert len(bulk) == 12
    # the sample's NIC has no network: its custom nicparams hold only the link
    plain_nic = next(i for i in bulk if i["nic.networks"] == [None])
    # the samples come from the fake hypervisor (hvparams {}); the simulator's is kvm
    kvm = get(sim, "/2/info")["hvparams"]["kvm"]
    assert plain_nic["hvparams"] == kvm and kvm["vnc_bind_address"] == "0.0.0.0"
    assert_same_shape(dict(sample("instances_bulk")[0], hvparams=kvm), plain_nic)
    single = get(sim, "/2/instances/" + plain_nic["name"])
    assert_same_shape(dict(sample("instance"), hvparams=kvm), single)
    assert single == plain_nic
    on_network = next(i for i in bulk if i["nic.networks"] != [None])
    assert on_network["nic.networks.names"] == ["net1"] and on_network["nic.ips"][0].startswith("10.1.")
    assert [i["name"] for i in bulk] == sorted(i["name"] for i in bulk)
    assert {i["admin_state"] for i in bulk} <= {"up", "down", "offline"}
    assert bulk[0]["beparams"]["memory"] == bulk[0]["beparams"]["maxmem"]


def test_instance_ownership_tags_leave_some_unowned(sim):
    bulk = get(sim, "/2/instances?bulk=1")
    owners = [[t for t in i["tags"] if t.startswith("ganetimgr:user:")] for i in bulk]
    assert {"ganetimgr:user:alice", "ganetimgr:user:bob"} == {t for tags in owners for t in tags}
    assert sum(1 for tags in owners if not tags) == 4  # every third instance: 12 instances, 2 owners
    assert any("ganetimgr:group:ops" in i["tags"] for i in bulk)


def test_non_bulk_lists_have_the_real_id_and_uri_shapes(sim):
    instances = get(sim, "/2/instances")
    assert instances[0] == {"id": instances[0]["id"], "uri": "/2/instances/" + instances[0]["id"]}
    nodes = get(sim, "/2/nodes")
    assert nodes[0] == {"id": "node1.ganeti.test", "uri": "/2/nodes/node1.ganeti.test"}
    assert get(sim, "/2/groups") == [{"name": "default", "uri": "/2/groups/default"}]
    assert get(sim, "/2/networks") == [{"name": "net1", "uri": "/2/networks/net1"}]
    assert get(sim, "/version") == 2
    assert "instance-create-reqv1" in get(sim, "/2/features")
    assert set(get(sim, "/2/os")) == {"debootstrap+default", "debootstrap+minimal", "noop"}


def test_nodes_bulk_matches_the_real_sample_with_role_letters(sim):
    nodes = get(sim, "/2/nodes?bulk=1")
    assert_same_shape(sample("nodes_bulk")[0], nodes[0])
    assert [n["role"] for n in nodes] == ["M", "C", "C"]
    assert get(sim, "/2/nodes/node1.ganeti.test/role") == "master"
    assert get(sim, "/2/nodes/node2.ganeti.test/role") == "master-candidate"
    instances = get(sim, "/2/instances?bulk=1")
    running = sum(i["beparams"]["maxmem"] for i in instances if i["pnode"] == nodes[0]["name"] and i["oper_state"])
    assert nodes[0]["mfree"] == nodes[0]["mtotal"] - nodes[0]["mnode"] - running
    assert nodes[0]["pinst_cnt"] == len(nodes[0]["pinst_list"]) == sum(
        1 for i in instances if i["pnode"] == nodes[0]["name"])


def test_groups_and_networks_fields(sim):
    group = get(sim, "/2/groups/default")
    assert {"alloc_policy", "name", "node_cnt", "node_list", "ipolicy", "custom_ipolicy", "diskparams",
            "custom_diskparams", "ndparams", "custom_ndparams", "ctime", "mtime", "uuid", "serial_no",
            "tags"} == set(group)
    assert group["node_cnt"] == 3
    network = get(sim, "/2/networks/net1")
    assert network["group_list"] == [["default", "routed", "rt1", ""]]
    assert len(network["map"]) == 1024 and set(network["map"]) <= {"X", "."}
    assert network["free_count"] + network["reserved_count"] == 1024
    assert network["reserved_count"] == network["map"].count("X") == 3 + len(network["inst_list"])
    assert network["network"] == "10.1.0.0/22" and network["gateway"] == "10.1.0.1"
    assert get(sim, "/2/networks?bulk=1") == [network]


def test_jobs_have_the_real_shapes(sim):
    created = sim.run_job("POST", "/2/instances", {
        "__version__": 1, "mode": "create", "name": "shape.ganeti.test", "disk_template": "plain",
        "disks": [{"size": 1024}], "nics": [{}], "os_type": "noop", "name_check": False, "ip_check": False,
        "beparams": {"memory": 256}})
    real = sample("job_instance_create")
    assert sorted(created) == sorted(real)
    assert created["status"] == "success" and created["opstatus"] == ["success"]
    assert created["summary"] == ["INSTANCE_CREATE(shape.ganeti.test)"]
    assert set(real["ops"][0]) <= set(created["ops"][0]) | {"pnode_uuid"}
    assert [entry[2] for entry in created["oplog"][0]] and all(
        isinstance(e[0], int) and len(e[1]) == 2 and e[2] == "message" for e in created["oplog"][0])
    assert isinstance(created["opresult"][0], list) and created["opresult"][0][0].startswith("node")
    for key in ("received_ts", "start_ts", "end_ts"):
        assert len(created[key]) == 2 and all(isinstance(x, int) for x in created[key])
    removed = sim.run_job("DELETE", "/2/instances/shape.ganeti.test")
    assert_same_shape(sample("job_instance_delete"), removed)
    assert removed["opresult"] == [None]
    assert [r[0] for r in removed["ops"][0]["reason"]] == ["gnt:library:rlib2:instances_name",
                                                           "gnt:opcode:instance_remove"]
    jobs = get(sim, "/2/jobs")
    assert {"id": removed["id"], "uri": "/2/jobs/%d" % removed["id"]} in jobs
    bulk = get(sim, "/2/jobs?bulk=1")
    assert set(bulk[0]) == {"id", "ops", "status", "summary", "opstatus", "received_ts", "start_ts", "end_ts"}


def test_console_answers_vnc_for_a_running_instance_and_503_when_stopped(sim):
    instances = get(sim, "/2/instances?bulk=1")
    running = next(i for i in instances if i["status"] == "running")
    stopped = next(i for i in instances if not i["oper_state"])
    status, console = sim.request("GET", f"/2/instances/{running['name']}/console")
    assert status == 200
    # The host is the vnc_bind_address hvparam as Ganeti reports it (the client substitutes the node's address).
    assert console == {"instance": running["name"], "kind": "vnc", "host": "0.0.0.0",
                       "port": running["network_port"], "display": running["network_port"] - 5900}
    status, error = sim.request("GET", f"/2/instances/{stopped['name']}/console")
    assert status == 503 and error["message"] == "Instance console unavailable"
    # ganeti-rapi 3.0.2 on an unknown instance
    status, error = sim.request("GET", "/2/instances/ghost.ganeti.test/console")
    assert status == 500 and error["message"] == "list index out of range"
