"""Benchmark of the jobs page's JSON: warm requests/s of /jobs/json/ under gunicorn, against the trivial view.

Run with `make bench BENCH=jobs` (throw-away PostgreSQL and Redis from scripts/with-services.sh), or:
    scripts/with-services.sh .venv/bin/python bench/jobs.py [--clusters 8 --jobs 5000 --seconds 4 --rounds 3]
It starts one ganetisim per cluster whose queue holds its share of --jobs finished jobs (ganetisim --jobs:
instance actions, some failed, a few canceled), registers them with pinned certificates, takes the jobs
snapshots once, and serves the project with gunicorn and contrib/gunicorn.conf.py (gevent workers) under
bench/site_settings.py (the trivial view /bench/trivial/ is the baseline). A helpdesk user then asks, from
--concurrency keep-alive connections, for the trivial view, /jobs/json/ (first page, newest first across
every cluster), a status filter, a later page, one cluster, and the jobs page itself. Goal (issue 7): report
the warm rate with 5,000 jobs; the instance pages' goal, >= 0.5 x the trivial view, is the yardstick.
The helpers (simulated clusters, gunicorn, load) are bench/instances.py's.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

from bench.instances import (  # noqa: E402
    fetch, measure_in_turn, print_rates, session_cookie, start_clusters, start_gunicorn, stop_gunicorn, view_times,
)

HELPDESK = "helen"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=5000, help="in total, shared between the clusters")
    parser.add_argument("--seconds", type=float, default=4, help="measured seconds per URL and round")
    parser.add_argument("--rounds", type=int, default=3, help="the URLs are measured in turn, this many times")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of load before the first measure")
    parser.add_argument("--concurrency", type=int, default=8, help="keep-alive connections (one process each)")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: 2 x cores + 1)")
    parser.add_argument("--in-process", type=int, default=30, metavar="N",
                        help="also time each URL N times in this process through Django's test client; 0 = skip")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="ganetimgr-bench-jobs-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.site_settings"
    os.environ.setdefault("HTTPS", "off")
    os.environ.setdefault("GANETIMGR_VAR_DIR", str(workdir / "var"))
    os.environ.setdefault("INVENTORY_FRESH_SECONDS", "3600")  # warm: no snapshot refreshed while measuring
    import django

    django.setup()
    from django.contrib.auth.models import Permission, User
    from django.core.cache import cache
    from django.core.management import call_command

    from ganeti.rapi import inventory

    call_command("migrate", verbosity=0)
    simulators, server = [], None
    per_cluster = -(-args.jobs // args.clusters)
    try:
        start_clusters(simulators, workdir, args.clusters, nodes=4, instances=50, jobs=per_cluster)
        cache.clear()
        report = inventory.refresh(kinds=("jobs",))
        failed = {key: outcome for key, outcome in report.items() if not isinstance(outcome, int)}
        if failed:
            raise SystemExit(f"snapshots not taken: {failed}")
        total = sum(report.values())
        helpdesk, _created = User.objects.get_or_create(username=HELPDESK)
        helpdesk.user_permissions.add(Permission.objects.get(codename="view_instances", content_type__app_label="ganeti"))
        cookie = session_cookie(helpdesk)
        server, port = start_gunicorn(workdir, args.workers)

        first = json.loads(fetch(port, "/jobs/json/", cookie))
        assert first["total"] == total and len(first["rows"]) == 50 and not first["errors"], first["errors"]
        received = [row["received"] for row in first["rows"]]
        assert received == sorted(received, reverse=True), "newest first"
        errors = first["counts"]["error"]
        urls = [
            ("trivial view (baseline)", "/bench/trivial/", HELPDESK),
            (f"/jobs/json/ first page of {total}", "/jobs/json/", HELPDESK),
            (f"/jobs/json/?status=error ({errors} match)", "/jobs/json/?status=error", HELPDESK),
            ("/jobs/json/?page=60", "/jobs/json/?page=60", HELPDESK),
            ("/jobs/json/?cluster=bench3", "/jobs/json/?cluster=bench3", HELPDESK),
            ("/jobs/ (the page)", "/jobs/", HELPDESK),
        ]
        measured = measure_in_turn(port, urls, {HELPDESK: cookie}, args)
        load = os.getloadavg()[0]
        json_bytes = len(fetch(port, "/jobs/json/", cookie))
        in_process = view_times(urls, args.in_process) if args.in_process else []
    finally:
        stop_gunicorn(server)
        for sim in simulators:
            sim.stop()

    workers = args.workers or multiprocessing.cpu_count() * 2 + 1
    print(f"jobs benchmark: {args.clusters} clusters, {total} jobs, gunicorn gevent x {workers} workers, "
          f"{args.concurrency} keep-alive clients, {args.rounds} rounds of {args.seconds:g} s per URL after "
          f"{args.warmup:g} s of warm-up; load average at the end {load:.1f}")
    print_rates(measured, in_process, args.in_process)
    print(f"  /jobs/json/ first page: {json_bytes} bytes (50 rows)")


if __name__ == "__main__":
    main()
