"""Benchmark: approval (application_submit) to the RAPI create request arriving at the cluster.

Run it with the throw-away services of scripts/with-services.sh:
    scripts/setup.sh test && HTTPS=off scripts/with-services.sh .venv/bin/python bench/approval.py [--count 20]
It starts a simulated cluster (ganetisim, HTTPS) and one real watcher.py process on a private tube,
lets the watcher go idle (blocked in its beanstalkd reserve), then N times: makes an approved
application, calls application_submit() as the review page does, and reads the create job's
received_ts on the simulator (the moment Ganeti's RAPI accepted the request). Each application is
created to its end before the next, so the watcher is idle at every approval. Goal: median <= 1 s.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

from bench.common import creation_delay  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20, help="approvals to time")
    parser.add_argument("--idle", type=float, default=2.0, help="seconds the watcher idles before each approval")
    parser.add_argument("--latency-ms", type=int, default=0, help="RAPI latency added by the simulator")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="ganetimgr-bench-approval-"))
    tube = f"bench-approval-{uuid.uuid4().hex[:8]}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ganetimgr.settings")
    os.environ.setdefault("HTTPS", "off")
    os.environ.setdefault("GANETIMGR_VAR_DIR", str(workdir / "var"))
    os.environ["BEANSTALK_TUBE"] = tube
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from apply.models import ApplicationStatus, InstanceApplication
    from apply.services import application_submit
    from ganeti.models import Cluster
    from ganeti.services import cluster_save
    from tests.helpers import PYTHON, OutputReader
    from tests.simulator import start_simulator

    call_command("migrate", verbosity=0)
    sim = start_simulator(workdir, instances=5, job_duration_ms=50, latency_ms=args.latency_ms or None)
    watcher = None
    try:
        Cluster.objects.filter(slug="bench-approval").delete()
        cluster = cluster_save(cluster=Cluster(hostname="127.0.0.1", port=sim.port, slug="bench-approval",
                                               username="writer", tls_fingerprint=sim.fingerprint),
                               new_password=sim.users["writer"][0])
        applicant, _ = User.objects.get_or_create(username="bench-applicant", defaults={"email": "a@bench.test"})
        reviewer, _ = User.objects.get_or_create(username="bench-reviewer", defaults={"is_superuser": True})
        env = {**os.environ, "SECRET_KEY": settings.SECRET_KEY, "LOG_LEVEL": "WARNING"}
        watcher = subprocess.Popen([PYTHON, "watcher.py", "-v", "1"], cwd=PROJECT_DIR, env=env, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        OutputReader(watcher).until("connected to beanstalkd")

        delays = []
        for index in range(args.count):
            time.sleep(args.idle)  # the watcher sits in reserve()
            application = InstanceApplication.objects.create(
                hostname=f"bench{index:03d}-{uuid.uuid4().hex[:6]}.example.org", memory=128, vcpus=1, disk_size=1,
                operating_system="debian", applicant=applicant, cluster=cluster, disk_template="plain",
                status=ApplicationStatus.APPROVED)
            approved = time.time()
            submission = application_submit(application=application, user=reviewer)
            assert submission.queued, submission.queue_error
            delays.append(creation_delay(sim, application, approved))
    finally:
        if watcher is not None:
            watcher.terminate()
            watcher.wait(timeout=30)
        sim.stop()

    ms = sorted(delay * 1000 for delay in delays)
    print(f"approval benchmark: {args.count} approvals, idle watcher, simulator latency {args.latency_ms} ms")
    print(f"  approval -> RAPI create request   median {statistics.median(ms):6.0f} ms  (goal <= 1000 ms)")
    print(f"  min {ms[0]:.0f} ms, p90 {ms[int(len(ms) * 0.9) - 1]:.0f} ms, max {ms[-1]:.0f} ms")


if __name__ == "__main__":
    main()
