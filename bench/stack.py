"""Benchmark of the whole stack: nginx (TLS) -> gunicorn (gevent) -> PostgreSQL, Redis, beanstalkd, the watcher.

Run with `make bench BENCH=stack` (the with-services PostgreSQL server and SMTP sink), or:
    scripts/with-services.sh .venv/bin/python bench/stack.py [--clusters 8 --instances 1250 --latency-ms 300]
It starts the production stack on loopback (tests/stack/stack.py: its own database, Redis, beanstalkd,
gunicorn with contrib/gunicorn.conf.py, a watcher, nginx from contrib/nginx) under bench/site_settings.py
(the project plus /bench/trivial/, a 2-byte answer behind the same middleware), with one ganetisim per
cluster (--instances each, five owners), and measures through nginx, in one run:
1. cold list: every snapshot dropped, then /instances/json/ (and, dropped again, the home page; then only
   the instance snapshots invalidated, /instances/json/ again), against the slowest cluster's own answer
   to the same query (each asked alone, by ganetimgr's RAPI client); goal <= 1.25 x;
2. warm rate (wrk, keep-alive, a helpdesk user's session) of the home page and /instances/json/ against the
   trivial view, measured in turn for --rounds rounds; goal >= 0.5 x;
3. approval to create: an admin's "accept and submit" POST to the review page, until the watcher's create
   request reaches the simulator (the job's received_ts), the watcher idle before each; goal median <= 1 s;
4. the resident memory of each gunicorn worker after the warm runs (each holds the 10,000-instance view it
   served); goal: the largest <= 150 MB.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import html.parser
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import django

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

from bench.common import creation_delay, rss_mb  # noqa: E402
from bench.instances import OWNERS, session_cookie  # noqa: E402
from tests.stack.stack import start_stack  # noqa: E402

# Models, and what imports them, are imported in the functions that run after django.setup(): the settings
# come from the stack's environment, known only once the stack runs.

HELPDESK = "helen"
ADMIN = "ada"
PASSWORD = "bench-stack-password"  # noqa: S105 (a throw-away stack's account)
APPROVAL_CLUSTER = "bench0"


class FormFields(html.parser.HTMLParser):
    """What a browser sends for a page's named fields as they stand: text inputs, checked boxes, the
    selected (else first) option of each select, textareas."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        kind = attrs.get("type", "text")
        if tag == "input" and name and kind not in ("submit", "button", "reset", "checkbox", "radio"):
            self.fields.setdefault(name, attrs.get("value") or "")
        elif tag == "input" and name and kind in ("checkbox", "radio") and "checked" in attrs:
            self.fields[name] = attrs.get("value") or "on"
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and ("selected" in attrs or self._select not in self.fields):
            self.fields[self._select] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data.removeprefix("\n") if not self.fields[self._textarea] else data


def form_fields(page: str) -> dict[str, str]:
    parser = FormFields()
    parser.feed(page)
    return parser.fields


def timed_get(session, url: str) -> tuple[float, object]:
    started = time.perf_counter()
    response = session.get(url, allow_redirects=False, timeout=120)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}\n{response.text[:2000]}")
    return elapsed, response


def cold_list(stack, session, clusters, args) -> dict[str, list[float]]:
    """Per repeat: each cluster's own answer to the instance query (asked alone, then all at once); the
    first /instances/json/ and home page after every snapshot was dropped; /instances/json/ after only the
    instance snapshots were invalidated (the page's other reads, the node groups for the maintenance
    label, served from their snapshots)."""
    from django.core.cache import cache

    from ganeti.rapi import inventory
    from ganeti.rapi.connection import client_for

    fetch = inventory.FETCHERS["instances"]
    total = args.clusters * args.instances
    figures = {"alone": [], "together": [], "json": [], "home": [], "instances only": []}
    for _ in range(args.repeat):
        alone = []
        for cluster in clusters:
            started = time.perf_counter()
            fetch(client_for(cluster))
            alone.append(time.perf_counter() - started)
        figures["alone"].append(max(alone))
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(len(clusters)) as pool:
            list(pool.map(lambda cluster: fetch(client_for(cluster)), clusters))
        figures["together"].append(time.perf_counter() - started)

        cache.clear()  # every snapshot of the stack's Redis; the sessions stay in the database
        elapsed, response = timed_get(session, stack.url + "/instances/json/")
        body = response.json()
        if body["total"] != total or body["errors"]:
            raise SystemExit(f"cold /instances/json/: {body['total']} instances, errors {body['errors']}")
        figures["json"].append(elapsed)
        cache.clear()
        elapsed, response = timed_get(session, stack.url + "/")
        rows = len(re.findall(r'<tr id="instance-', response.text))
        if rows != 25:
            raise SystemExit(f"cold home page: {rows} rows")
        figures["home"].append(elapsed)
        for cluster in clusters:  # the instances again, the other snapshots (groups, nodes, jobs) kept
            inventory.invalidate(cluster, kinds=("instances",))
        figures["instances only"].append(timed_get(session, stack.url + "/instances/json/")[0])
    return figures


def access_statuses(stack, offset: int, path: str) -> dict[str, int]:
    """Status -> count of the nginx access log's requests for `path` written after `offset`."""
    counts: dict[str, int] = {}
    with open(stack.dir / "nginx-access.log", "rb") as log:
        log.seek(offset)
        for line in log.read().decode(errors="replace").splitlines():
            found = re.search(r'"GET (\S+) HTTP/[\d.]+" (\d{3}) ', line)
            if found and found.group(1) == path:
                counts[found.group(2)] = counts.get(found.group(2), 0) + 1
    return counts


def wrk_rate(stack, path: str, cookie: str, *, seconds: float, args) -> tuple[int, float]:
    """(requests, seconds) of one wrk run against `path`; every answer must be a 200 (nginx's log says),
    but for the requests still in flight at the end."""
    offset = (stack.dir / "nginx-access.log").stat().st_size
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds:g}s", "--timeout", "30s",
               "-H", f"Cookie: {cookie}", stack.url + path]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 120).stdout
    found = re.search(r"(\d+) requests in ([\d.]+)(m?s)", output)
    if not found:
        raise SystemExit(f"wrk said:\n{output}")
    statuses = access_statuses(stack, offset, path)
    # 499: wrk closed a connection whose request was still in flight when the run ended.
    if set(statuses) - {"200", "499"} or statuses.get("499", 0) > args.connections:
        raise SystemExit(f"{path}: answers {statuses} during a wrk run\n{output}")
    elapsed = float(found.group(2)) / (1000 if found.group(3) == "ms" else 1)
    return int(found.group(1)), elapsed


def warm_rates(stack, urls, cookies, args) -> list[tuple[str, float]]:
    """(label, requests/s) of each (label, path, user), in turn for --rounds rounds of --seconds, after
    --warmup seconds of each (every worker's objects, sorted lists and rows built)."""
    for _label, path, user in urls:
        wrk_rate(stack, path, cookies[user], seconds=args.warmup, args=args)
    counts = {label: [0, 0.0] for label, _path, _user in urls}
    for _round in range(args.rounds):
        for label, path, user in urls:
            requests, elapsed = wrk_rate(stack, path, cookies[user], seconds=args.seconds, args=args)
            counts[label][0] += requests
            counts[label][1] += elapsed
    return [(label, requests / elapsed) for label, (requests, elapsed) in counts.items()]


def worker_rss(stack) -> dict[int, float]:
    """pid -> resident MB of each gunicorn worker (the master's children)."""
    master = stack.services["gunicorn"].process.pid
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return {int(pid): rss_mb(pid) for pid in children}


def approvals(stack, admin_session, args) -> list[float]:
    """Seconds from each "accept and submit" POST to the create request reaching the simulator."""
    from django.contrib.auth.models import User
    from django.urls import reverse

    from apply.models import ApplicationStatus, InstanceApplication
    from ganeti.models import Cluster

    sim = stack.simulators[APPROVAL_CLUSTER]
    sim.set_faults(latency_ms=args.approval_latency_ms)
    applicant = User.objects.get(username=OWNERS[0])
    cluster = Cluster.objects.get(slug=APPROVAL_CLUSTER)
    delays = []
    for index in range(args.approvals):
        application = InstanceApplication.objects.create(
            hostname=f"bench{index:03d}-{uuid.uuid4().hex[:6]}.example.org", memory=128, vcpus=1, disk_size=1,
            operating_system="debian", applicant=applicant, cluster=cluster, disk_template="plain",
            status=ApplicationStatus.PENDING)
        review_url = stack.url + reverse("apply:application_review", args=[application.pk])
        _elapsed, page = timed_get(admin_session, review_url)
        fields = {**form_fields(page.text), "action": "submit"}
        time.sleep(args.idle)  # the watcher sits in its beanstalkd reserve
        approved = time.time()
        answer = admin_session.post(review_url, data=fields, headers={"Referer": review_url}, allow_redirects=False,
                                    timeout=60)
        if answer.status_code != 302 or answer.headers["Location"] != reverse("apply:application_detail",
                                                                              args=[application.pk]):
            raise SystemExit(f"accept and submit: HTTP {answer.status_code} {answer.headers.get('Location')}\n"
                             f"{answer.text[:3000]}")
        delays.append(creation_delay(sim, application, approved))
    return delays


def login_session(stack, user) -> tuple[object, str]:
    """A requests session logged in as `user`, and its Cookie header for wrk."""
    cookie = session_cookie(user)
    session = stack.requests_session()
    session.cookies.set(*cookie.split("=", 1))
    return session, cookie


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=8)
    parser.add_argument("--instances", type=int, default=1250, help="per cluster")
    parser.add_argument("--latency-ms", type=int, default=300, help="added by every simulator to every RAPI request "
                        "(the approvals' cluster gets --approval-latency-ms instead, once the list is measured)")
    parser.add_argument("--repeat", type=int, default=3, help="cold lists to time")
    parser.add_argument("--seconds", type=float, default=5, help="wrk seconds per URL and round")
    parser.add_argument("--rounds", type=int, default=3, help="the URLs are measured in turn, this many times")
    parser.add_argument("--warmup", type=float, default=5, help="wrk seconds per URL before the rounds (the first "
                        "requests of a fresh worker build its objects, sorted lists and rows)")
    parser.add_argument("--connections", type=int, default=8, help="wrk keep-alive connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=multiprocessing.cpu_count() * 2 + 1,
                        help="gunicorn workers (default: contrib/gunicorn.conf.py's, 2 x cores + 1)")
    parser.add_argument("--approvals", type=int, default=15)
    parser.add_argument("--approval-latency-ms", type=int, default=0, help="the approvals' cluster's RAPI latency")
    parser.add_argument("--idle", type=float, default=2.0, help="seconds the watcher idles before each approval")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="ganetimgr-bench-stack-"))
    simulators = {f"bench{index}": {"cluster_name": f"cluster{index}.bench.test", "seed": index, "nodes": 8,
                                    "instances": args.instances, "owners": ",".join(OWNERS), "timeout": 120}
                  for index in range(args.clusters)}
    # Warm means warm: no snapshot is refreshed in the background while wrk runs.
    env = {"DJANGO_SETTINGS_MODULE": "bench.site_settings", "INVENTORY_FRESH_SECONDS": "3600"}
    with start_stack(workdir, simulators=simulators, gunicorn_workers=args.workers, env=env) as stack:
        # This process reads and writes the stack's own database and Redis: Django's settings read them
        # from the environment at setup.
        os.environ.update(stack.env)
        django.setup()
        from django.contrib.auth.models import User

        from ganeti.models import Cluster

        stack.create_user(HELPDESK, PASSWORD, email="helen@bench.test", helpdesk=True)
        stack.create_user(ADMIN, PASSWORD, email="ada@bench.test", superuser=True)
        stack.create_user(OWNERS[0], PASSWORD, email="alice@bench.test")
        helpdesk, admin = User.objects.get(username=HELPDESK), User.objects.get(username=ADMIN)
        session, cookie = login_session(stack, helpdesk)
        timed_get(session, stack.url + "/bench/trivial/")  # the TLS connection to nginx, open as a browser's is
        clusters = list(Cluster.objects.filter(slug__in=simulators).order_by("slug"))
        for sim in stack.simulators.values():
            sim.set_faults(latency_ms=args.latency_ms)
        cold = cold_list(stack, session, clusters, args)

        cookies = {HELPDESK: cookie}
        urls = [("trivial view (baseline)", "/bench/trivial/", HELPDESK),
                ("home page, helpdesk", "/", HELPDESK),
                ("/instances/json/, helpdesk", "/instances/json/", HELPDESK)]
        warm = warm_rates(stack, urls, cookies, args)
        load = os.getloadavg()[0]
        rss = worker_rss(stack)
        delays = sorted(approvals(stack, login_session(stack, admin)[0], args))
        server_errors = stack.server_errors()

    total = args.clusters * args.instances
    slowest = statistics.median(cold["alone"])
    print(f"stack benchmark: nginx -> gunicorn gevent x {args.workers} workers; {args.clusters} clusters x "
          f"{args.instances} instances = {total} at {args.latency_ms} ms; {time.strftime('%Y-%m-%d %H:%M')}, "
          f"{multiprocessing.cpu_count()} cores, load average {load:.1f} after the warm runs")
    print(f"1. cold list, median of {args.repeat} (every snapshot dropped before each page):")
    together = statistics.median(cold["together"])
    print(f"   {'the slowest cluster, each asked alone':42s} {slowest * 1000:6.0f} ms")
    print(f"   {f'all {args.clusters} asked at once, directly':42s} {together * 1000:6.0f} ms "
          f"= {together / slowest:.2f} x")
    for key, label in (("json", "/instances/json/"), ("home", "home page"),
                       ("instances only", "/instances/json/, instances refetched only")):
        value = statistics.median(cold[key])
        print(f"   {label:42s} {value * 1000:6.0f} ms = {value / slowest:.2f} x the slowest cluster (goal <= 1.25)")
    print(f"2. warm rate, wrk {args.threads} threads x {args.connections} keep-alive connections, {args.rounds} "
          f"rounds of {args.seconds:g} s per URL in turn:")
    baseline = warm[0][1]
    for index, (label, value) in enumerate(warm):
        ratio = f" = {value / baseline:.2f} x trivial (goal >= 0.5)" if index else ""
        print(f"   {label:42s} {value:6.0f} req/s{ratio}")
    print(f"3. approval to create request, {len(delays)} accept-and-submit POSTs, cluster latency "
          f"{args.approval_latency_ms} ms: median {statistics.median(delays) * 1000:.0f} ms (goal <= 1000); min "
          f"{delays[0] * 1000:.0f}, p90 {delays[int(len(delays) * 0.9) - 1] * 1000:.0f}, max {delays[-1] * 1000:.0f}")
    print(f"4. gunicorn workers' RSS after the warm runs: largest {max(rss.values()):.0f} MB (goal <= 150); "
          f"all: {', '.join(f'{value:.0f}' for value in sorted(rss.values()))} MB")
    print(f"   5xx answers in nginx's log during the whole run: {len(server_errors)}")


if __name__ == "__main__":
    main()
