"""Benchmark of the inventory: cold fan-out over many slow clusters, warm reads of a big view, memory.

Run with `make bench` (throw-away PostgreSQL and Redis from scripts/with-services.sh), or:
    scripts/with-services.sh .venv/bin/python bench/inventory.py [--clusters 8 --instances 1250 --latency-ms 300]
It starts one ganetisim process per cluster (tests/simulator.py: HTTPS, basic auth, the latency added
to every request),
registers them as clusters, and measures in this process, patched by gevent as a gunicorn worker is:
- cold: every snapshot dropped, all clusters' instances fetched (goal: <= 1.25 x the latency);
- warm: the whole view read again, and filtered to one user's instances (median of many reads);
- first read in a fresh worker: snapshots in Redis, no objects built in the process yet;
- memory: the resident set size of this process holding the view (goal: <= 150 MB).
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

from bench.common import rss_mb  # noqa: E402

OWNERS = ["alice", "bob", "carol", "dave", "erin"]


def median_seconds(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=8)
    parser.add_argument("--instances", type=int, default=1250, help="per cluster")
    parser.add_argument("--latency-ms", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ganetimgr.settings")
    os.environ.setdefault("HTTPS", "off")
    workdir = Path(tempfile.mkdtemp(prefix="ganetimgr-bench-"))
    os.environ.setdefault("GANETIMGR_VAR_DIR", str(workdir / "var"))
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.cache import cache
    from django.core.management import call_command

    from ganeti.models import Cluster
    from ganeti.rapi import inventory
    from ganeti.services import cluster_pin_certificate, cluster_save

    from tests.simulator import start_simulator

    call_command("migrate", verbosity=0)
    baseline_mb = rss_mb()
    simulators = []
    try:
        for index in range(args.clusters):
            sim = start_simulator(workdir, cluster_name=f"cluster{index}.bench.test", nodes=8,
                                  instances=args.instances, owners=",".join(OWNERS), latency_ms=args.latency_ms,
                                  seed=index)
            simulators.append(sim)
        Cluster.objects.all().delete()
        for index, sim in enumerate(simulators):
            cluster = cluster_save(cluster=Cluster(hostname="127.0.0.1", port=sim.port, slug=f"bench{index}",
                                                   username="writer"), new_password=sim.users["writer"][0])
            cluster_pin_certificate(cluster=cluster)
        user, _created = User.objects.get_or_create(username=OWNERS[0])

        def cold():
            cache.clear()
            inventory._built.clear()
            result = inventory.instances()
            assert not result.errors, result.errors
            assert len(result.items) == args.clusters * args.instances, len(result.items)

        cold_seconds = median_seconds(cold, args.repeat)
        view = inventory.instances()
        warm_seconds = median_seconds(inventory.instances, args.repeat * 10)
        mine = inventory.instances(user=user)
        warm_user_seconds = median_seconds(lambda: inventory.instances(user=user), args.repeat * 10)

        def first_read_in_a_worker():
            inventory._built.clear()
            inventory.instances()

        first_read_seconds = median_seconds(first_read_in_a_worker, args.repeat)
        holding_mb = rss_mb()
    finally:
        for sim in simulators:
            sim.stop()

    latency = args.latency_ms / 1000
    print(f"inventory benchmark: {args.clusters} clusters x {args.instances} instances, "
          f"{args.latency_ms} ms latency per request, median of {args.repeat}+ runs")
    print(f"  cold fetch of all clusters     {cold_seconds * 1000:8.0f} ms  = {cold_seconds / latency:.2f} x latency "
          f"(goal <= 1.25)")
    print(f"  warm read, whole view          {warm_seconds * 1000:8.1f} ms  ({len(view.items)} instances)")
    print(f"  warm read, one user's          {warm_user_seconds * 1000:8.1f} ms  ({len(mine.items)} instances)")
    print(f"  first read in a fresh worker   {first_read_seconds * 1000:8.0f} ms  (snapshots in Redis)")
    print(f"  RSS holding the view           {holding_mb:8.0f} MB  (goal <= 150; {baseline_mb:.0f} MB after start-up)")


if __name__ == "__main__":
    main()
