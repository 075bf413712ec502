"""Third-party clients against the simulator: Ganeti's own RAPI client (Debian's python3-ganeti-rapi,
pycurl) and the real testbed's smoke run; plus the size and side-by-side use the benchmarks need."""

import json
import subprocess
import sys
import textwrap
import time
import pytest

from tests.helpers import PROJECT_DIR
from tests.simulator import start_simulator

pytestmark = pytest.mark.slow

SYSTEM_PYTHON = "/usr/bin/python3"
# The real testbed's smoke run (stdlib only)
SMOKE = PROJECT_DIR / "contrib" / "ganeti-testbed" / "smoke.py"

OFFICIAL_CLIENT_SCRIPT = textwrap.dedent("""
    import json, sys
    import pycurl
    from ganeti.rapi import client
    pycurl.global_init(pycurl.GLOBAL_ALL)
    port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    rapi = client.GanetiRapiClient("127.0.0.1", port=port, username=user, password=password)
    out = {"info": rapi.GetInfo(), "instances": rapi.GetInstances(bulk=True)}
    name = out["instances"][0]["name"]
    job = rapi.ShutdownInstance(name, reason="official client")
    out["shutdown_done"] = rapi.WaitForJobCompletion(job, period=0.1, retries=100)
    out["after_shutdown"] = rapi.GetInstance(name)["status"]
    tag_job = rapi.AddInstanceTags(name, ["official:client"])
    out["tags_done"] = rapi.WaitForJobCompletion(tag_job, period=0.1, retries=100)
    out["tags"] = rapi.GetInstanceTags(name)
    out["job"] = rapi.GetJobStatus(job)
    out["features"] = rapi.GetFeatures()
    try:
        rapi.GetInstance("ghost.ganeti.test")
    except client.GanetiApiError as error:
        out["missing"] = [str(error), error.code]
    print(json.dumps(out))
""")


def official_client_available():
    probe = subprocess.run([SYSTEM_PYTHON, "-I", "-c", "import pycurl; from ganeti.rapi import client"],
                           capture_output=True, text=True)
    return probe.returncode == 0, probe.stderr.strip()


def test_ganeti_official_rapi_client_works_unchanged(simulators, tmp_path):
    available, why = official_client_available()
    if not available:
        pytest.skip("SKIPPED LOUDLY: Ganeti's RAPI client is missing: Debian's python3-ganeti-rapi is not "
                    f"installed (scripts/setup.sh test installs it): {why}")
    sim = simulators(instances=4)
    user, password = "writer", sim.users["writer"][0]
    # -I and a neutral cwd: ganetimgr's own `ganeti` app must not shadow Ganeti's package
    run = subprocess.run([SYSTEM_PYTHON, "-I", "-c", OFFICIAL_CLIENT_SCRIPT, str(sim.port), user, password],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["info"]["name"] == "cluster.ganeti.test" and len(out["instances"]) == 4
    assert out["shutdown_done"] is True and out["after_shutdown"] == "ADMIN_down"
    assert out["tags_done"] is True and "official:client" in out["tags"]
    assert out["job"]["status"] == "success" and out["job"]["ops"][0]["OP_ID"] == "OP_INSTANCE_SHUTDOWN"
    assert out["job"]["ops"][0]["reason"][0][:2] == ["gnt:user", "official client"]
    assert "instance-create-reqv1" in out["features"]
    assert out["missing"][1] == 404


@pytest.mark.parametrize("template", ["file", "diskless", "sharedfile"])
def test_real_testbed_smoke_run_passes(simulators, template):
    sim = simulators(require_authentication=True, instances=3)
    run = subprocess.run([sys.executable, str(SMOKE), "--url", sim.url, "--user", "writer",
                          "--password", sim.users["writer"][0], "--ro-user", "reader",
                          "--ro-password", sim.users["reader"][0], "--template", template],
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stdout + run.stderr
    assert " 0 failed" in run.stdout and "primary node moved" in run.stdout
    assert "PASS  PUT startup as read-only user -> 403" in run.stdout


def test_bulk_of_1250_instances_is_fast_and_simulators_run_side_by_side(tmp_path):
    with start_simulator(tmp_path, instances=1250, nodes=8, groups=2, networks=2, owners="alice,bob") as big, \
            start_simulator(tmp_path, instances=3, cluster_name="second.example.org") as small:
        assert big.port != small.port
        started = time.monotonic()
        status, instances = big.request("GET", "/2/instances?bulk=1")
        first = time.monotonic() - started
        assert status == 200 and len(instances) == 1250
        timings = []
        for _ in range(5):
            started = time.monotonic()
            assert big.request("GET", "/2/instances?bulk=1")[0] == 200
            timings.append(time.monotonic() - started)
        assert first < 3 and min(timings) < 0.5, (first, timings)
        assert small.request("GET", "/2/info")[1]["name"] == "second.example.org"
        assert small.request("GET", "/2/instances")[1][0]["id"] == "inst0001.example.org"
        assert big.request("GET", "/2/info")[1]["name"] == "cluster.ganeti.test"
        nodes = big.request("GET", "/2/nodes?bulk=1")[1]
        assert all(n["mfree"] > 0 for n in nodes) and sum(n["pinst_cnt"] for n in nodes) == 1250
