"""The inventory against real simulator processes: several clusters at once, one failing in each way
a cluster fails, snapshots served fresh, stale or refreshed, ownership filters, invalidation."""

import json
import subprocess
import threading
import time

import pytest
from django.core.cache import cache
from django.core.management import call_command

from ganeti.models import Cluster
from ganeti.rapi import inventory
from ganeti.rapi.connection import client_for
from ganeti.services import cluster_save
from tests.helpers import PROJECT_DIR, PYTHON, add_cluster, free_port

pytestmark = [pytest.mark.django_db, pytest.mark.integration, pytest.mark.usefixtures("empty_inventory")]


@pytest.fixture
def two_good_clusters(simulators):
    return [add_cluster(simulators(instances=4, owners="alice", seed=index), f"good{index}") for index in (1, 2)]


def test_three_clusters_one_down_serves_the_other_two(simulators, two_good_clusters):
    down = add_cluster(simulators(), "down", port=free_port())  # nothing listens there
    result = inventory.instances()
    assert sorted({instance.cluster.slug for instance in result.items}) == ["good1", "good2"]
    assert len(result.items) == 8
    assert [(error.cluster.slug, error.kind) for error in result.errors] == [("down", "connection")]
    assert "cannot be reached" in str(result.errors[0]) and str(result.errors[0]).startswith("Cluster down: ")
    assert set(result.ages) == {"good1", "good2"}
    assert down.slug not in result.ages


@pytest.mark.parametrize(("fault", "kind", "says"), [
    ({"mode": "timeout", "hold_s": 5}, "timeout", "did not answer in time"),
    ({"mode": "error500"}, "http", "answered with an error: 500"),
    ({"mode": "error502"}, "http", "answered with an error: 502"),
    ({"mode": "garbage"}, "bad_response", "not RAPI's"),
    ({"mode": "drop"}, "connection", "cannot be reached"),
])
def test_a_failing_cluster_yields_an_error_and_the_others_are_served(simulators, two_good_clusters, settings,
                                                                      fault, kind, says):
    settings.RAPI_RESPONSE_TIMEOUT = 1
    failing = simulators()
    add_cluster(failing, "failing")
    failing.set_faults(**fault)
    started = time.monotonic()
    result = inventory.instances()
    assert time.monotonic() - started < 6, "a failing cluster held the page beyond its timeout"
    assert len(result.items) == 8
    assert len(result.errors) == 1
    error = result.errors[0]
    assert (error.cluster.slug, error.kind) == ("failing", kind)
    assert says in error.message


def test_wrong_credentials_and_a_changed_certificate_are_named(simulators, two_good_clusters):
    sim = simulators(require_authentication=True)  # as Debian runs ganeti-rapi: GETs need credentials too
    add_cluster(sim, "badpassword", password="not-the-password")
    other = simulators()
    add_cluster(other, "impostor", port=sim.port)  # pinned to `other`, talks to `sim`
    result = inventory.nodes()
    errors = {error.cluster.slug: error for error in result.errors}
    assert errors["badpassword"].code == 401
    assert "refused the RAPI user name or password" in errors["badpassword"].message
    assert errors["impostor"].kind == "tls" and "not the pinned one" in errors["impostor"].message
    assert {node.cluster.slug for node in result.items} == {"good1", "good2"}


def test_a_failed_cluster_is_asked_again_only_after_the_retry_delay(simulators, settings):
    sim = simulators()
    add_cluster(sim, "flaky")
    sim.set_faults(mode="error500")
    assert inventory.instances().errors
    sim.set_faults(mode=None)
    assert inventory.instances().errors, "asked again at once: a dead cluster would slow every page"
    settings.INVENTORY_RETRY_SECONDS = 0
    result = inventory.instances()
    assert not result.errors and len(result.items) == 5


def test_the_last_rows_stay_visible_when_a_cluster_stops_answering(simulators, settings):
    sim = simulators(instances=3)
    add_cluster(sim, "fading")
    assert len(inventory.instances().items) == 3
    sim.set_faults(mode="error502")
    settings.INVENTORY_FRESH_SECONDS = settings.INVENTORY_STALE_SECONDS = 0
    result = inventory.instances()
    assert len(result.items) == 3, "the last known instances vanished"
    assert [error.cluster.slug for error in result.errors] == ["fading"]
    assert result.ages["fading"] >= 0


def wait_for(condition, timeout=10):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_a_stale_snapshot_is_served_while_it_is_refreshed(simulators, settings):
    sim = simulators(instances=2)
    cluster = add_cluster(sim, "busy")
    name = sorted(instance.name for instance in inventory.instances().items)[0]
    client = client_for(cluster, user="alice")
    client.wait_for_job(client.add_instance_tags(name, ["ganetimgr:user:carol"]))
    settings.INVENTORY_FRESH_SECONDS = 0
    sim.set_faults(latency_ms=3000)
    started = time.monotonic()
    stale = inventory.instances()
    assert time.monotonic() - started < 1.5, "a stale snapshot made the page wait for the cluster"
    assert not any("carol" in instance.users for instance in stale.items)
    wait_for(lambda: any("carol" in instance.users for instance in inventory.instances().items), timeout=15)


def test_concurrent_cold_reads_ask_the_cluster_once(simulators):
    sim = simulators(instances=2, latency_ms=300)
    cluster = add_cluster(sim, "popular")
    before = sim.control("GET", "stats")["requests"].get("PUT /2/query/instance", 0)
    results = []
    # Each reader as a separate worker would: its own thread (and so its own database connection,
    # which does not see this test's uncommitted cluster: hence the explicit list).
    readers = [threading.Thread(target=lambda: results.append(inventory.instances([cluster]))) for _ in range(4)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert [len(result.items) for result in results] == [2, 2, 2, 2]
    assert sim.control("GET", "stats")["requests"]["PUT /2/query/instance"] - before == 1


def test_users_see_what_they_own_directly_or_through_a_group(simulators, django_user_model):
    sim = simulators(instances=12, owners="alice,bob", owner_groups="ops")
    add_cluster(sim, "shared")
    alice = django_user_model.objects.create_user("alice")
    everything = inventory.instances().items
    mine = inventory.instances(user=alice).items
    assert mine and all("alice" in instance.users for instance in mine)
    assert len(mine) == sum("alice" in instance.users for instance in everything)
    alice.groups.create(name="ops")
    with_group = inventory.instances(user=alice).items
    assert len(with_group) == sum("alice" in i.users or "ops" in i.groups for i in everything) > len(mine)


def test_a_write_through_the_app_is_visible_at_the_next_read(simulators):
    sim = simulators(instances=1)
    cluster = add_cluster(sim, "changing")
    (instance,) = inventory.instances().items
    client = client_for(cluster, user="alice")
    job = client.wait_for_job(client.add_instance_tags(instance.name, ["ganetimgr:needsreboot"]))
    assert job["status"] == "success"
    assert not inventory.find_instance(cluster, instance.name).meanings.needs_reboot  # still the snapshot
    inventory.invalidate(cluster)
    assert inventory.find_instance(cluster, instance.name).meanings.needs_reboot


@pytest.mark.django_db(transaction=True)  # the pin is written by a worker thread, on its own connection
def test_first_contact_pins_the_certificate_and_a_new_one_is_refused(simulators, tmp_path):
    sim = simulators(instances=1)
    cluster = add_cluster(sim, "tofu", pinned=False)
    assert len(inventory.instances().items) == 1
    cluster.refresh_from_db()
    assert cluster.tls_fingerprint == sim.fingerprint
    port = sim.port
    sim.stop()
    simulators(instances=1, port=port)  # same address, new self-signed certificate
    inventory.invalidate(cluster)
    (error,) = inventory.instances().errors
    assert error.kind == "tls" and "not the pinned one" in error.message


def test_refresh_command_prewarms_and_fails_for_a_dead_cluster(simulators, two_good_clusters, capsys):
    call_command("refresh_cluster_instances", "--kinds", "instances,nodes,groups,networks,jobs")
    out = capsys.readouterr().out
    assert "good1/instances: 4" in out and "good2/nodes: " in out and "good1/jobs: " in out
    # Warm: the page is served from the snapshots even with the clusters unreachable.
    ports = dict(Cluster.objects.values_list("pk", "port"))
    for pk in ports:
        Cluster.objects.filter(pk=pk).update(port=free_port())
    result = inventory.instances()
    assert not result.errors and len(result.items) == 8
    for pk, port in ports.items():
        Cluster.objects.filter(pk=pk).update(port=port)
    add_cluster(simulators(), "gone", port=free_port())
    with pytest.raises(SystemExit) as exit_info:
        call_command("refresh_cluster_instances", "gone", "good1")
    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    assert "gone/instances: The cluster cannot be reached" in captured.err and "good1/instances: 4" in captured.out


def test_rows_of_groups_networks_and_jobs_name_their_cluster(simulators, two_good_clusters):
    for kind in ("groups", "networks", "jobs"):
        result = inventory.rows(kind)
        assert not result.errors
        assert {row["cluster"].slug for row in result.items} >= ({"good1", "good2"} if kind != "jobs" else set())
    with pytest.raises(ValueError):
        inventory.rows("instances")


def test_after_a_change_a_cluster_that_stops_answering_still_shows_its_last_rows(simulators):
    sim = simulators(instances=2)
    cluster = add_cluster(sim, "shaky")
    assert len(inventory.instances().items) == 2
    inventory.invalidate(cluster)
    sim.set_faults(mode="error500")
    result = inventory.instances()
    assert len(result.items) == 2
    assert [error.cluster.slug for error in result.errors] == ["shaky"]
    sim.set_faults(mode=None)


def test_a_cluster_whose_password_cannot_be_decrypted_fails_alone(simulators, two_good_clusters):
    broken = add_cluster(simulators(), "rotated")
    Cluster.objects.filter(pk=broken.pk).update(password_encrypted="gAAAAA-not-a-token")  # SECRET_KEY changed
    result = inventory.instances()
    assert len(result.items) == 8
    (error,) = result.errors
    assert (error.cluster.slug, error.kind) == ("rotated", "internal")
    assert "cannot use this cluster" in error.message


def test_a_cluster_without_rapi_credentials_is_listed_by_the_open_bulk_get(simulators):
    sim = simulators(instances=3)  # Ganeti's default: GETs need no credentials, /2/query does
    cluster = Cluster(hostname="127.0.0.1", port=sim.port, slug="anonymous", tls_fingerprint=sim.fingerprint)
    cluster_save(cluster=cluster)
    result = inventory.instances()
    assert not result.errors and len(result.items) == 3


def test_rows_evicted_from_the_cache_are_fetched_again(simulators):
    sim = simulators(instances=2)
    cluster = add_cluster(sim, "evicted")
    assert len(inventory.instances().items) == 2
    cache.delete(f"inventory:{cluster.pk}:instances:rows")
    inventory._built.clear()  # as in another worker process
    result = inventory.instances()
    assert not result.errors and len(result.items) == 2


def test_inventory_in_a_gevent_worker_fans_out_and_bounds_a_hanging_cluster(simulators, project_env, tmp_path):
    """As gunicorn's gevent workers run it: the clusters are asked at once (greenlets), and one that
    holds the connection is cut off at the RAPI timeouts and reported, while the others are served."""
    good = [simulators(instances=3, latency_ms=1000, seed=index) for index in (1, 2)]
    hanging = simulators(instances=3)
    hanging.set_faults(mode="timeout", hold_s=30)
    clusters = [[f"good{index}", sim.port, sim.fingerprint] for index, sim in enumerate(good)]
    clusters.append(["hanging", hanging.port, hanging.fingerprint])
    env = {**project_env, "DATABASE_URL": f"sqlite:///{tmp_path / 'gevent.sqlite3'}",
           "CACHE_KEY_PREFIX": f"gevent-test-{tmp_path.name}", "RAPI_CONNECT_TIMEOUT": "1",
           "RAPI_RESPONSE_TIMEOUT": "2"}
    run = subprocess.run([PYTHON, "-m", "tests.ganeti.gevent_inventory", json.dumps(clusters)],
                         cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    outcome = json.loads(run.stdout.strip().splitlines()[-1])
    assert outcome["patched"]
    assert outcome["counts"] == {"good0": 3, "good1": 3}
    assert outcome["errors"] == [["hanging", "timeout"]]
    # Two clusters at 1 s each and one cut off after 2 s: in parallel, about 2 s, not 4.
    assert outcome["seconds"] < 3.5
