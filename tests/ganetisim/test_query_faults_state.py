"""/2/query with Ganeti's filter language; fault injection; saving and loading the state."""

import http.client
import socket
import time

import pytest

from tests.simulator import start_simulator

pytestmark = pytest.mark.slow


def query(sim, resource, fields, qfilter=None, status=200):
    code, answer = sim.request("PUT", f"/2/query/{resource}", {"fields": fields, "qfilter": qfilter})
    assert code == status, answer
    return answer


def test_query_selects_fields_and_filters(sim):
    bulk = sim.request("GET", "/2/instances?bulk=1")[1]
    answer = query(sim, "instance", ["name", "status", "be/maxmem", "nic.ip/0", "nic.ip/3", "nosuchfield"])
    assert [d["name"] for d in answer["fields"]] == ["name", "status", "be/maxmem", "nic.ip/0", "nic.ip/3",
                                                       "nosuchfield"]
    assert answer["fields"][5]["kind"] == "unknown" and answer["fields"][0]["kind"] == "text"
    first = answer["data"][0]
    assert first[0] == [0, bulk[0]["name"]] and first[2] == [0, bulk[0]["beparams"]["maxmem"]]
    assert first[4] == [3, None] and first[5] == [1, None]  # unavailable index, unknown field

    def names(qfilter):
        return [row[0][1] for row in query(sim, "instance", ["name"], qfilter)["data"]]

    alice = [i["name"] for i in bulk if "ganetimgr:user:alice" in i["tags"]]
    assert names(["=[]", "tags", "ganetimgr:user:alice"]) == alice
    assert names(["&", ["=~", "name", "^inst000[1-3]"], ["!", ["=[]", "tags", "ganetimgr:user:alice"]]]) == [
        n for n in ("inst0001.ganeti.test", "inst0002.ganeti.test", "inst0003.ganeti.test") if n not in alice]
    assert names(["|", ["==", "name", bulk[0]["name"]], ["=", "name", bulk[1]["name"]]]) == [
        bulk[0]["name"], bulk[1]["name"]]
    assert names(["!=", "status", "running"]) == [i["name"] for i in bulk if i["status"] != "running"]
    big = [i["name"] for i in bulk if i["beparams"]["maxmem"] >= 2048]
    assert names([">=", "be/maxmem", 2048]) == big
    assert names(["<", "be/maxmem", 2048]) == [i["name"] for i in bulk if i["name"] not in big]
    assert names([">", "be/maxmem", 4096]) == [] and len(names(["<=", "be/maxmem", 4096])) == len(bulk)
    assert names(["?", "oper_state"]) == [i["name"] for i in bulk if i["oper_state"]]
    status, error = sim.request("PUT", "/2/query/instance", {"fields": ["name"], "qfilter": ["==", "nope", 1]})
    assert status == 500 and "nope" in error["message"]


def test_query_get_fields_and_other_resources(sim):
    status, answer = sim.request("GET", "/2/query/node?fields=name,role,mfree")
    assert status == 200 and [row[1] for row in answer["data"]] == [[0, "M"], [0, "C"], [0, "C"]]
    assert query(sim, "group", ["name", "node_cnt"])["data"] == [[[0, "default"], [0, 3]]]
    assert query(sim, "network", ["name"], ["=", "name", "net1"])["data"] == [[[0, "net1"]]]
    assert query(sim, "job", ["id", "status"], ["=", "status", "nonexistent"])["data"] == []
    status, fields = sim.request("GET", "/2/query/instance/fields?fields=name,pnode", user=None)
    assert status == 200 and [f["name"] for f in fields["fields"]] == ["name", "pnode"]
    assert sim.request("GET", "/2/query/nonsense?fields=name")[0] == 404


@pytest.mark.parametrize("mode", ["error500", "error502", "garbage", "drop", "timeout"])
def test_fault_modes(simulators, mode):
    sim = simulators()
    assert sim.set_faults(mode=mode, paths="^/2/instances", hold_s=1.5) == {
        "mode": mode, "latency_ms": 0, "paths": "^/2/instances", "hold_s": 1.5}
    assert sim.request("GET", "/2/info")[0] == 200  # paths not matched: served
    started = time.monotonic()
    if mode in ("drop", "timeout"):
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError, socket.timeout)):
            sim.request("GET", "/2/instances", timeout=5)
        took = time.monotonic() - started
        assert took > 1.4 if mode == "timeout" else took < 1
    else:
        status, payload = sim.request("GET", "/2/instances")
        if mode == "garbage":
            assert status == 200 and isinstance(payload, str) and payload.startswith("<html>")
        else:
            assert status == int(mode[5:]) and payload["code"] == status
    sim.set_faults(mode=None)
    assert sim.request("GET", "/2/instances")[0] == 200


def test_latency_and_fault_at_start(simulators):
    sim = simulators(fault="error502", fault_paths="^/2/jobs")
    assert sim.request("GET", "/2/jobs")[0] == 502 and sim.request("GET", "/version")[0] == 200
    sim.set_faults(mode=None, latency_ms=400)
    started = time.monotonic()
    assert sim.request("GET", "/2/jobs")[0] == 200 and time.monotonic() - started >= 0.4
    status, error = sim.request("PUT", "/__ganetisim__/faults", {"mode": "sometimes"}, user=None)
    assert status == 400 and "mode" in error["error"]


def test_state_is_saved_on_request_and_at_exit_and_loaded_at_start(tmp_path):
    state_file = tmp_path / "sim-state.json"
    with start_simulator(tmp_path, state=state_file, instances=3) as sim:
        job = sim.run_job("PUT", "/2/instances/inst0001.ganeti.test/tags?tag=kept")
        assert sim.control("PUT", "save") == {"saved": str(state_file)}
        assert state_file.exists()
        sim.run_job("PUT", "/2/instances/inst0002.ganeti.test/shutdown")
        dump = sim.state()
        assert dump["fingerprint"] == sim.fingerprint and len(dump["cluster"]["instances"]) == 3
        assert sim.stop() == 0
    with start_simulator(tmp_path, state=state_file, instances=50) as again:
        instances = {i["name"]: i for i in again.request("GET", "/2/instances?bulk=1")[1]}
        assert len(instances) == 3  # the state file wins over the generation options
        assert "kept" in instances["inst0001.ganeti.test"]["tags"]
        assert instances["inst0002.ganeti.test"]["status"] == "ADMIN_down"
        assert again.request("GET", f"/2/jobs/{job['id']}")[1]["status"] == "success"
        _, next_id = again.request("PUT", "/2/instances/inst0003.ganeti.test/tags?tag=x")
        assert next_id > job["id"] + 1


def test_save_without_state_file_is_refused(sim):
    status, error = sim.request("PUT", "/__ganetisim__/save", user=None)
    assert status == 409 and "--state" in error["error"]
