"""Benchmark of the instance pages: warm requests/s of the home page and /instances/json/ under gunicorn.

Run with `make bench BENCH=instances` (throw-away PostgreSQL, Redis and beanstalkd from
scripts/with-services.sh), or:
    scripts/with-services.sh .venv/bin/python bench/instances.py [--clusters 8 --instances 1250 --seconds 4 --rounds 3]
It starts one ganetisim process per cluster (tests/simulator.py), registers them as clusters with
pinned certificates, takes the snapshots once, and serves the project with gunicorn and
contrib/gunicorn.conf.py (gevent workers, as deployed) under bench/site_settings.py: the project's
settings and URLs plus one trivial view (/bench/trivial/, an 2-byte answer behind the same middleware:
session, login required, CSRF, ...), the baseline every page is compared with. A helpdesk user (perm
ganeti.view_instances: every instance, with node, network and owner columns) then asks, from
--concurrency keep-alive connections in as many processes, for:
- the trivial view; the home page; /instances/json/ (first page, a search, a sort, a later page);
  the home page of a user who owns a sixth of the instances;
and the bytes of the first page against what its 25 rows cost (the page less the same page with no
row). Goals (issue 4): every page >= 0.5 x the trivial view's rate; the first page of 10,000
instances costs what 25 rows cost.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))
OWNERS = ["alice", "bob", "carol", "dave", "erin"]
HELPDESK = "helen"


def _load(port: int, path: str, cookie: str, deadline: float, results) -> None:
    """One keep-alive connection asking for `path` until `deadline`: (requests, bytes, bad answers).
    A connection the server drops (a worker recycled after GUNICORN_MAX_REQUESTS closes its keep-alive
    connections) is opened again, as a browser or nginx would; that request counts as bad."""
    headers = {"Cookie": cookie, "Accept-Encoding": "identity"}
    count = size = bad = 0
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    while time.monotonic() < deadline:
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = response.read()
        except (http.client.HTTPException, OSError):
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            bad += 1
            continue
        if response.status != 200:
            bad += 1
        count += 1
        size += len(body)
    connection.close()
    results.put((count, size, bad))


def rate(port: int, path: str, cookie: str, *, seconds: float, concurrency: int, warmup: float) -> tuple[int, float]:
    """(requests, elapsed seconds) over `seconds`, after `warmup` seconds of the same load (every
    worker's per-process memos built: objects of the snapshots, sorted lists, search texts, rows)."""
    context = multiprocessing.get_context("fork")
    for phase, duration in (("warmup", warmup), ("measure", seconds)):
        if not duration:
            continue
        results = context.Queue()
        started = time.monotonic()
        deadline = started + duration
        workers = [context.Process(target=_load, args=(port, path, cookie, deadline, results))
                   for _ in range(concurrency)]
        for worker in workers:
            worker.start()
        outcomes = [results.get(timeout=duration + 120) for _ in workers]
        elapsed = time.monotonic() - started
        for worker in workers:
            worker.join()
        bad = sum(outcome[2] for outcome in outcomes)
        if bad > 2 * concurrency:
            raise SystemExit(f"{path}: {bad} answers were not 200 during the {phase}")
        if bad:
            print(f"  ({path}: {bad} connection(s) dropped during the {phase}: a worker recycled)", flush=True)
    return sum(outcome[0] for outcome in outcomes), elapsed


def fetch(port: int, path: str, cookie: str) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path, headers={"Cookie": cookie, "Accept-Encoding": "identity"})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    if response.status != 200:
        raise SystemExit(f"{path}: HTTP {response.status}\n{body[:2000].decode(errors='replace')}")
    return body


def view_times(urls, repeat: int) -> list[tuple[str, float]]:
    """Median milliseconds of each URL through Django's test client in this process: the whole
    middleware and view, but the database connection stays open between requests (the test client
    keeps it), where gunicorn's requests each open one (CONN_MAX_AGE = 0)."""
    import statistics

    from django.contrib.auth.models import User
    from django.test import Client

    clients = {}
    medians = []
    for label, path, username in urls:
        if username not in clients:
            clients[username] = Client(HTTP_HOST="127.0.0.1")
            clients[username].force_login(User.objects.get(username=username))
        client = clients[username]
        client.get(path)
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            answer = client.get(path)
            times.append(time.perf_counter() - started)
            assert answer.status_code == 200, (path, answer.status_code)
        medians.append((label, statistics.median(times) * 1000))
    return medians


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit("gunicorn did not listen in time")


def start_clusters(simulators: list, workdir: Path, count: int, **options) -> None:
    """`count` ganetisim processes (cluster<i>.bench.test, seed i, `options` as tests/simulator.py takes
    them), appended to `simulators` as they start (the caller stops them), registered as the only
    clusters, bench<i>, with pinned certificates."""
    from ganeti.models import Cluster
    from ganeti.services import cluster_pin_certificate, cluster_save
    from tests.simulator import start_simulator

    for index in range(count):
        simulators.append(start_simulator(workdir, cluster_name=f"cluster{index}.bench.test", seed=index,
                                          timeout=120, **options))
    Cluster.objects.all().delete()
    for index, sim in enumerate(simulators):
        cluster = cluster_save(cluster=Cluster(hostname="127.0.0.1", port=sim.port, slug=f"bench{index}",
                                               username="writer"), new_password=sim.users["writer"][0])
        cluster_pin_certificate(cluster=cluster)


def measure_in_turn(port: int, urls, cookies: dict, args) -> list[tuple[str, float]]:
    """(label, requests/s) of each (label, path, username) of `urls`, measured in turn for args.rounds
    rounds of args.seconds (args.warmup before the first), so that a change in the machine's load
    touches every URL alike."""
    counts = {label: [0, 0.0] for label, _path, _user in urls}
    for round_number in range(args.rounds):
        for label, path, username in urls:
            requests, elapsed = rate(port, path, cookies[username], seconds=args.seconds,
                                     concurrency=args.concurrency, warmup=args.warmup if round_number == 0 else 0)
            counts[label][0] += requests
            counts[label][1] += elapsed
    return [(label, requests / elapsed) for label, (requests, elapsed) in counts.items()]


def print_rates(measured, in_process, repeat: int, goal: str = "") -> None:
    """The rates of measure_in_turn() against the first (the trivial view), and view_times()'s medians."""
    baseline = measured[0][1]
    for label, value in measured:
        ratio = "" if label.startswith("trivial") else f"  = {value / baseline:.2f} x trivial{goal}"
        print(f"  {label:42s} {value:8.0f} req/s{ratio}")
    if in_process:
        print(f"  in this process, one open database connection (median of {repeat}):")
        for label, milliseconds in in_process:
            ratio = "" if label.startswith("trivial") else f"  = {in_process[0][1] / milliseconds:.2f} x trivial"
            print(f"    {label:40s} {milliseconds:8.1f} ms{ratio}")


def session_cookie(user) -> str:
    """A Cookie header value logging `user` in (a session made through Django's test client)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def start_gunicorn(workdir: Path, workers: int | None = None) -> tuple[subprocess.Popen, int]:
    """gunicorn with contrib/gunicorn.conf.py (gevent workers) serving the project under the current
    DJANGO_SETTINGS_MODULE on a free port, once it listens: (process, port)."""
    from django.db import connections

    from tests.helpers import free_port

    port = free_port()
    env = {**os.environ, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_ACCESS_LOG": str(workdir / "access.log"),
           "GUNICORN_ERROR_LOG": str(workdir / "error.log"), "GUNICORN_LOG_LEVEL": "warning"}
    if workers:
        env["GUNICORN_WORKERS"] = str(workers)
    connections.close_all()
    server = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "-c", "contrib/gunicorn.conf.py",
                               "ganetimgr.wsgi:application"], cwd=PROJECT_DIR, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_for_port(port, server)
    return server, port


def stop_gunicorn(server: subprocess.Popen | None) -> None:
    if server is not None and server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=8)
    parser.add_argument("--instances", type=int, default=1250, help="per cluster")
    parser.add_argument("--seconds", type=float, default=4, help="measured seconds per URL and round")
    parser.add_argument("--rounds", type=int, default=3,
                        help="the URLs are measured in turn, this many times, so that a change in the "
                             "machine's load touches every URL alike")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of load before each measure")
    parser.add_argument("--concurrency", type=int, default=8, help="keep-alive connections (one process each)")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default: contrib/gunicorn.conf.py's, 2 x cores + 1)")
    parser.add_argument("--in-process", type=int, default=30, metavar="N",
                        help="also time each URL N times in this process, through Django's test client, on "
                             "one open database connection (the view's own cost, without a connection "
                             "made per request); 0 = skip")
    parser.add_argument("--only", default="", help="measure only the URLs whose label contains this")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="ganetimgr-bench-instances-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.site_settings"
    os.environ.setdefault("HTTPS", "off")
    os.environ.setdefault("GANETIMGR_VAR_DIR", str(workdir / "var"))
    # Warm means warm: no snapshot is refreshed in the background while we measure (one would make
    # every worker rebuild its objects once; bench/inventory.py measures that: "first read in a worker").
    os.environ.setdefault("INVENTORY_FRESH_SECONDS", "3600")
    import django

    django.setup()
    from django.contrib.auth.models import Permission, User
    from django.core.cache import cache
    from django.core.management import call_command

    from ganeti.rapi import inventory

    call_command("migrate", verbosity=0)
    simulators = []
    server = None
    try:
        start_clusters(simulators, workdir, args.clusters, nodes=8, instances=args.instances, owners=",".join(OWNERS))
        cache.clear()
        report = inventory.refresh(kinds=("instances", "nodes", "groups", "jobs"))
        failed = {key: outcome for key, outcome in report.items() if not isinstance(outcome, int)}
        if failed:
            raise SystemExit(f"snapshots not taken: {failed}")

        helpdesk, _created = User.objects.get_or_create(username=HELPDESK)
        helpdesk.user_permissions.add(Permission.objects.get(codename="view_instances", content_type__app_label="ganeti"))
        owner, _created = User.objects.get_or_create(username=OWNERS[0])
        cookies = {user.username: session_cookie(user) for user in (helpdesk, owner)}
        server, port = start_gunicorn(workdir, args.workers)
        total = args.clusters * args.instances

        # What a page weighs: the first page, and the same page with no row (its frame).
        home = fetch(port, "/", cookies[HELPDESK])
        rows = len(re.findall(rb'<tr id="instance-', home))
        assert rows == 25, f"the helpdesk's home page shows {rows} rows"
        frame = fetch(port, "/?q=matches-no-instance", cookies[HELPDESK])
        one_cluster = fetch(port, "/?cluster=bench0", cookies[HELPDESK])
        json_first = fetch(port, "/instances/json/", cookies[HELPDESK])
        json_frame = fetch(port, "/instances/json/?q=matches-no-instance", cookies[HELPDESK])
        import json

        body = json.loads(json_first)
        assert body["total"] == total and len(body["rows"]) == 25 and not body["errors"], body["errors"]
        assert "users" in body["rows"][0], "the helpdesk's rows carry the owners"
        searched = json.loads(fetch(port, "/instances/json/?q=alice", cookies[HELPDESK]))["filtered"]

        urls = [
            ("trivial view (baseline)", "/bench/trivial/", HELPDESK),
            ("home page, helpdesk", "/", HELPDESK),
            ("JSON first page", "/instances/json/", HELPDESK),
            (f"JSON search 'alice' ({searched} match)", "/instances/json/?q=alice", HELPDESK),
            ("JSON sorted by memory, descending", "/instances/json/?sort=-memory", HELPDESK),
            ("JSON page 200, sorted by status", "/instances/json/?sort=status&page=200", HELPDESK),
            ("home page, an owner (1/6 of all)", "/", OWNERS[0]),
        ]
        urls = [url for url in urls if not args.only or args.only in url[0] or url[1] == "/bench/trivial/"]
        measured = measure_in_turn(port, urls, cookies, args)
        load = os.getloadavg()[0]
        in_process = view_times(urls, args.in_process) if args.in_process else []
    finally:
        stop_gunicorn(server)
        for sim in simulators:
            sim.stop()

    workers = args.workers or multiprocessing.cpu_count() * 2 + 1
    print(f"instance pages benchmark: {args.clusters} clusters x {args.instances} instances = {total}, gunicorn "
          f"gevent x {workers} workers, {args.concurrency} keep-alive clients, {args.rounds} rounds of "
          f"{args.seconds:g} s per URL after {args.warmup:g} s of warm-up; load average at the end {load:.1f}")
    print_rates(measured, in_process, args.in_process, goal=" (goal >= 0.5)")
    per_row = (len(home) - len(frame)) / 25
    print(f"  home page, first page of {total}:   {len(home):7d} bytes = frame {len(frame)} + 25 rows x "
          f"{per_row:.0f}")
    print(f"  home page, first page of {args.instances} (one cluster): {len(one_cluster):7d} bytes")
    print(f"  JSON first page of {total}:         {len(json_first):7d} bytes = frame {len(json_frame)} + 25 rows x "
          f"{(len(json_first) - len(json_frame)) / 25:.0f}")


if __name__ == "__main__":
    main()
