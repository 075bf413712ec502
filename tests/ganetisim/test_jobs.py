"""Jobs: lifecycle and state changes of every action, Ganeti's errors, long poll and cancel."""

import threading
import time

import pytest

pytestmark = pytest.mark.slow


def create_body(name, **overrides):
    body = {"__version__": 1, "mode": "create", "name": name, "disk_template": "drbd", "disks": [{"size": 2048}],
            "nics": [{"network": "net1", "ip": "pool"}], "os_type": "noop", "name_check": False, "ip_check": False,
            "beparams": {"maxmem": 512, "minmem": 512, "vcpus": 1}, "tags": ["ganetimgr:user:alice"]}
    return {**body, **overrides}


def instance(sim, name):
    status, inst = sim.request("GET", f"/2/instances/{name}")
    return inst if status == 200 else None


def node(sim, name):
    return sim.request("GET", f"/2/nodes/{name}")[1]


def assert_failed(job, message, code):
    assert job["status"] == "error", job
    assert job["opresult"][0][0] == "OpPrereqError"
    assert job["opresult"][0][1] == [message, code]


def test_create_then_every_instance_action_changes_state(sim):
    name = "life.ganeti.test"
    job = sim.run_job("POST", "/2/instances", create_body(name))
    assert job["status"] == "success"
    pnode, snode = job["opresult"][0]
    inst = instance(sim, name)
    assert (inst["status"], inst["pnode"], inst["snodes"], inst["serial_no"]) == ("running", pnode, [snode], 1)
    assert inst["nic.networks.names"] == ["net1"] and inst["nic.ips"][0].startswith("10.1.0.")
    assert inst["disk_usage"] == 2048 + 128 and inst["tags"] == ["ganetimgr:user:alice"]
    free_before_stop = node(sim, pnode)["mfree"]

    assert sim.run_job("PUT", f"/2/instances/{name}/shutdown")["status"] == "success"
    inst = instance(sim, name)
    assert (inst["status"], inst["admin_state"], inst["oper_state"], inst["oper_ram"]) == (
        "ADMIN_down", "down", False, None)
    assert inst["serial_no"] == 2 and node(sim, pnode)["mfree"] == free_before_stop + 512

    assert sim.run_job("PUT", f"/2/instances/{name}/startup")["status"] == "success"
    assert instance(sim, name)["status"] == "running"
    assert node(sim, pnode)["mfree"] == free_before_stop
    assert sim.run_job("POST", f"/2/instances/{name}/reboot?type=soft")["ops"][0]["reboot_type"] == "soft"
    assert sim.run_job("POST", f"/2/instances/{name}/reboot")["ops"][0]["reboot_type"] == "hard"

    job = sim.run_job("PUT", f"/2/instances/{name}/modify", {"beparams": {"maxmem": 1024, "vcpus": 2}})
    assert job["status"] == "success" and ["be/maxmem", 1024] in job["opresult"][0]
    inst = instance(sim, name)
    assert inst["beparams"]["maxmem"] == inst["beparams"]["memory"] == 1024 and inst["oper_vcpus"] == 1
    assert inst["custom_beparams"] == {"maxmem": 1024, "minmem": 512, "vcpus": 2}

    assert sim.run_job("PUT", f"/2/instances/{name}/migrate", {"mode": "live"})["status"] == "success"
    inst = instance(sim, name)
    assert (inst["pnode"], inst["snodes"]) == (snode, [pnode])
    assert sim.run_job("PUT", f"/2/instances/{name}/failover")["status"] == "success"
    assert instance(sim, name)["pnode"] == pnode

    assert sim.run_job("PUT", f"/2/instances/{name}/tags?tag=a:1&tag=b")["status"] == "success"
    assert sim.request("GET", f"/2/instances/{name}/tags")[1] == ["ganetimgr:user:alice", "a:1", "b"]
    assert sim.run_job("DELETE", f"/2/instances/{name}/tags?tag=b")["status"] == "success"
    assert instance(sim, name)["tags"] == ["ganetimgr:user:alice", "a:1"]

    job = sim.run_job("POST", f"/2/instances/{name}/reinstall", {"os": "debootstrap+minimal"})
    assert [op["OP_ID"] for op in job["ops"]] == ["OP_INSTANCE_SHUTDOWN", "OP_INSTANCE_REINSTALL",
                                                   "OP_INSTANCE_STARTUP"]
    assert job["opstatus"] == ["success"] * 3
    assert instance(sim, name)["os"] == "debootstrap+minimal"

    info = sim.run_job("GET", f"/2/instances/{name}/info")
    assert info["opresult"][0][name]["pnode"] == pnode and info["opresult"][0][name]["run_state"] == "up"

    assert_failed(sim.run_job("PUT", f"/2/instances/{name}/rename", {"new_name": "x.ganeti.test"}),
                  f"Instance '{name}' is marked to be up, cannot rename", "wrong_state")
    sim.run_job("PUT", f"/2/instances/{name}/shutdown")
    job = sim.run_job("PUT", f"/2/instances/{name}/rename", {"new_name": "renamed.ganeti.test"})
    assert job["status"] == "success" and instance(sim, name) is None
    assert instance(sim, "renamed.ganeti.test")["uuid"] == inst["uuid"]

    assert sim.run_job("DELETE", "/2/instances/renamed.ganeti.test")["status"] == "success"
    assert instance(sim, "renamed.ganeti.test") is None


def test_ganeti_errors_of_failing_jobs(sim):
    running = next(i for i in sim.request("GET", "/2/instances?bulk=1")[1] if i["status"] == "running")
    assert_failed(sim.run_job("POST", "/2/instances", create_body(running["name"])),
                  f"Instance '{running['name']}' is already in the cluster", "already_exists")
    job = sim.run_job("POST", "/2/instances", create_body("huge.ganeti.test", beparams={"maxmem": 10 ** 8},
                                                         pnode="node2.ganeti.test"))
    assert job["status"] == "error" and job["opresult"][0][1][1] == "insufficient_resources"
    assert job["opresult"][0][1][0].startswith(
        "Not enough memory on node node2.ganeti.test for creating instance huge.ganeti.test: needed 100000000 MiB")
    assert_failed(sim.run_job("PUT", "/2/instances/ghost.ganeti.test/startup"),
                  "Instance 'ghost.ganeti.test' not known", "unknown_entity")
    plain = sim.run_job("POST", "/2/instances", create_body("plain.ganeti.test", disk_template="plain"))
    assert plain["status"] == "success"
    assert_failed(sim.run_job("PUT", "/2/instances/plain.ganeti.test/migrate"),
                  "Instance's disk layout 'plain' does not allow migrations", "wrong_state")
    # A failed opcode fails the rest of its job.
    diskless = sim.run_job("POST", "/2/instances", create_body("nodisk.ganeti.test", disk_template="diskless",
                                                               disks=[]))
    job = sim.run_job("POST", "/2/instances/nodisk.ganeti.test/reinstall", {})
    assert diskless["status"] == "success" and job["opstatus"] == ["success", "error", "error"]
    assert job["opresult"][2] == ["OpExecError", ["Preceding opcode failed"]]
    assert instance(sim, "nodisk.ganeti.test")["status"] == "ADMIN_down"  # the shutdown had happened
    # Starting a running instance is no error in Ganeti.
    assert sim.run_job("PUT", f"/2/instances/{running['name']}/startup")["status"] == "success"


def test_dry_run_checks_without_changing(sim):
    job = sim.run_job("POST", "/2/instances?dry-run=1", create_body("dry.ganeti.test"))
    nodes = {n["uuid"] for n in sim.request("GET", "/2/nodes?bulk=1")[1]}
    # 3.0.2 reports a dry run's nodes by UUID (a real create's by name)
    assert job["status"] == "success" and job["ops"][0]["dry_run"] is True
    assert len(job["opresult"][0]) == 2 and set(job["opresult"][0]) <= nodes
    assert instance(sim, "dry.ganeti.test") is None


def test_create_request_version_and_parameters_are_checked_at_submit(sim):
    body = create_body("v0.ganeti.test")
    del body["__version__"]
    status, error = sim.request("POST", "/2/instances", body)
    assert status == 400 and "version 0 is not supported" in error["message"]
    status, error = sim.request("POST", "/2/instances", create_body("x.ganeti.test", colour="blue"))
    assert status == 400 and error["message"].startswith("Invalid body parameters")
    status, error = sim.request("POST", "/2/instances", create_body("x.ganeti.test", disks=None))
    assert status == 400


def test_reason_goes_into_the_reason_trail(sim):
    name = sim.request("GET", "/2/instances")[1][0]["id"]
    job = sim.run_job("PUT", f"/2/instances/{name}/startup?reason=webui:alice%20start")
    trail = job["ops"][0]["reason"]
    assert [entry[:2] for entry in trail] == [
        ["gnt:user", "webui:alice start"], ["gnt:library:rlib2:instances_name_startup", ""],
        ["gnt:opcode:instance_startup", "job=%d;index=0" % job["id"]]]
    assert all(isinstance(entry[2], int) for entry in trail)


def test_unknown_job_answers_like_ganeti_3_0_2(sim):
    status, job = sim.request("GET", "/2/jobs/987654")
    assert status == 200 and job.pop("id") == 987654 and set(job.values()) == {None} and "status" in job
    assert sim.request("DELETE", "/2/jobs/987654") == (200, [False, "Job 987654 not found in queue"])
    body = {"fields": ["status"], "previous_job_info": None, "previous_log_serial": None}
    assert sim.request("GET", "/2/jobs/987654/wait", body)[0] == 404


def test_jobs_are_queued_then_running_with_realistic_durations(simulators):
    sim = simulators(job_duration_ms=600)
    name = sim.request("GET", "/2/instances")[1][0]["id"]
    started = time.monotonic()
    status, job_id = sim.request("PUT", f"/2/instances/{name}/shutdown")
    assert sim.request("GET", f"/2/jobs/{job_id}")[1]["status"] == "queued"
    seen = set()
    while (job := sim.request("GET", f"/2/jobs/{job_id}")[1])["status"] not in ("success", "error"):
        seen.add(job["status"])
        assert time.monotonic() - started < 10
        time.sleep(0.02)
    took = time.monotonic() - started
    assert job["status"] == "success" and seen == {"queued", "running"} and 0.25 < took < 1.5
    assert job["received_ts"] <= job["start_ts"] <= job["end_ts"]


def test_jobs_on_the_same_instance_wait_and_queued_ones_can_be_canceled(simulators):
    sim = simulators(job_duration_ms=1500)
    name = "cancel.ganeti.test"
    _, first = sim.request("POST", "/2/instances", create_body(name, nics=[{}], start=False))
    wait_for_status(sim, first, "running")  # a create runs 1.7-2.8 s here
    _, second = sim.request("PUT", f"/2/instances/{name}/startup")
    _, third = sim.request("PUT", f"/2/instances/{name}/tags?tag=never")
    wait_for_status(sim, second, "waiting")
    assert sim.request("GET", f"/2/jobs/{first}")[1]["status"] == "running"
    assert sim.request("DELETE", f"/2/jobs/{third}") == (200, [True, f"Job {third} canceled"])
    canceled = sim.request("GET", f"/2/jobs/{third}")[1]
    assert canceled["status"] == "canceled" and canceled["opresult"] == ["Job canceled by request"]
    assert sim.request("DELETE", f"/2/jobs/{first}")[1] == [False, f"Job {first} is no longer waiting in the queue"]
    assert sim.wait_job(second)["status"] == "success"
    inst = instance(sim, name)
    assert inst["status"] == "running" and "never" not in inst["tags"]


def wait_for_status(sim, job_id, wanted, timeout=10):
    deadline = time.monotonic() + timeout
    while (status := sim.request("GET", f"/2/jobs/{job_id}")[1]["status"]) != wanted:
        assert time.monotonic() < deadline, f"job {job_id} is {status}, not {wanted}"
        time.sleep(0.02)


def test_wait_long_polls_until_the_job_changes(simulators):
    sim = simulators(job_duration_ms=2000, wait_timeout=0.5)
    _, job_id = sim.request("POST", "/2/instances", create_body("polled.ganeti.test", nics=[{}]))
    body = {"fields": ["status"], "previous_job_info": None, "previous_log_serial": None}
    status, change = sim.request("GET", f"/2/jobs/{job_id}/wait", body)
    assert status == 200 and change["job_info"] in (["queued"], ["running"])
    serial, deadline = None, time.monotonic() + 15
    while True:
        if change is not None:  # None: nothing changed within the timeout
            entries = change["log_entries"]
            assert all(entry[0] > (serial or 0) and entry[2] == "message" for entry in entries)
            serial = entries[-1][0] if entries else serial
            info = change["job_info"]
            if info == ["success"]:
                break
        assert time.monotonic() < deadline
        body = {"fields": ["status"], "previous_job_info": info, "previous_log_serial": serial}
        status, change = sim.request("GET", f"/2/jobs/{job_id}/wait", body)
        assert status == 200
    assert serial is not None  # the create logged its steps

    # A job waiting for another one's lock does not change: null after the (here 0.5 s) timeout.
    _, busy = sim.request("POST", "/2/instances", create_body("busy.ganeti.test", nics=[{}]))
    wait_for_status(sim, busy, "running")
    _, blocked = sim.request("PUT", "/2/instances/busy.ganeti.test/tags?tag=later")
    wait_for_status(sim, blocked, "waiting")
    body = {"fields": ["status"], "previous_job_info": ["waiting"], "previous_log_serial": 10 ** 6}
    started = time.monotonic()
    assert sim.request("GET", f"/2/jobs/{blocked}/wait", body) == (200, None)
    assert 0.4 < time.monotonic() - started < 1.5
    assert sim.request("GET", f"/2/jobs/{blocked}/wait", {"fields": "status"})[0] == 400
    assert sim.wait_job(blocked)["status"] == "success"


def test_node_role_migrate_and_evacuate(sim):
    job = sim.run_job("PUT", "/2/nodes/node3.ganeti.test/role", "drained")
    assert job["status"] == "success" and job["ops"][0]["OP_ID"] == "OP_NODE_SET_PARAMS"
    assert sim.request("GET", "/2/nodes/node3.ganeti.test/role")[1] == "drained"
    assert sim.request("GET", "/2/nodes?bulk=1")[1][2]["role"] == "D"
    status, error = sim.request("PUT", "/2/nodes/node3.ganeti.test/role", "master")
    assert status == 400 and error["message"] == "Can&#x27;t set &#x27;master&#x27; role"
    assert sim.run_job("PUT", "/2/nodes/node1.ganeti.test/role", "regular")["status"] == "error"
    sim.run_job("PUT", "/2/nodes/node3.ganeti.test/role", "master-candidate")

    drbd_on_node2 = [i["name"] for i in sim.request("GET", "/2/instances?bulk=1")[1]
                     if i["pnode"] == "node2.ganeti.test" and i["disk_template"] == "drbd" and i["oper_state"]]
    plain_running = [i for i in sim.request("GET", "/2/instances?bulk=1")[1]
                     if i["pnode"] == "node2.ganeti.test" and i["disk_template"] not in ("drbd", "sharedfile",
                                                                                         "diskless")
                     and i["oper_state"]]
    job = sim.run_job("POST", "/2/nodes/node2.ganeti.test/migrate", {"mode": "live"})
    if plain_running:
        assert job["status"] == "error" and job["opresult"][0][1][1] == "wrong_state"
    else:
        children = [sim.wait_job(child) for _ok, child in job["opresult"][0]["jobs"]]
        assert len(children) == len(drbd_on_node2) and all(c["status"] == "success" for c in children)
    job = sim.run_job("POST", "/2/nodes/node3.ganeti.test/evacuate", {"mode": "secondary-only"})
    assert job["status"] == "success"
    for _ok, child in job["opresult"][0]["jobs"]:
        assert sim.wait_job(child)["status"] == "success"
    assert sim.request("GET", "/2/nodes/node3.ganeti.test")[1]["sinst_cnt"] == 0


def test_cluster_node_group_and_network_tags(sim):
    for path in ("/2/tags", "/2/nodes/node1.ganeti.test/tags", "/2/groups/default/tags", "/2/networks/net1/tags"):
        assert sim.run_job("PUT", f"{path}?tag=locked")["status"] == "success"
        assert "locked" in sim.request("GET", path)[1]
    assert "locked" in sim.request("GET", "/2/info")[1]["tags"]
    job = sim.run_job("PUT", "/2/tags?tag=bad%20tag")
    assert (job["status"], job["opresult"], job["summary"]) == (
        "error", [["TagError", ["Tag contains invalid characters"]]], ["TAGS_SET"])


def test_concurrent_clients_are_served_in_parallel(simulators):
    sim = simulators(latency_ms=300)
    results = []
    threads = [threading.Thread(target=lambda: results.append(sim.request("GET", "/version"))) for _ in range(8)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [(200, 2)] * 8 and time.monotonic() - started < 1.5
