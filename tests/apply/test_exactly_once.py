"""Exactly once (DESIGN.md §4): a killed watcher, a create whose job id was never saved, a message
delivered several times and two watchers on 50 approvals never make two instances of an application,
nor two mails."""

import json
import signal
import time

import pytest

from apply.handlers import create_request
from apply.models import ApplicationStatus, InstanceApplication
from apply.services import application_submit
from ganeti.rapi.connection import client_for
from tests.apply.creation import ADMIN_ADDRESS, creates_sent, instances_named, wait_status

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _wait_job_saved(application, output, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        application.refresh_from_db()
        if application.job_id:
            return application.job_id
        assert time.monotonic() < deadline, "".join(output.lines)
        time.sleep(0.05)


def test_a_watcher_killed_while_the_job_runs_is_replaced_and_the_instance_made_once(
        simulators, cluster_on, user, superuser, smtp_sink, start_watcher, make_application):
    sim = simulators(instances=1, job_duration_ms=4000)  # creates take seconds
    cluster = cluster_on(sim, "sim1")
    application = make_application(cluster, user, hostname="killed.example.org")
    first, output = start_watcher()
    application_submit(application=application, user=superuser)
    job_id = _wait_job_saved(application, output)
    assert sim.request("GET", f"/2/jobs/{job_id}")[1]["status"] in ("queued", "waiting", "running")

    first.send_signal(signal.SIGKILL)
    first.wait()
    _second, output = start_watcher()
    wait_status(application, output=output)
    assert application.status == ApplicationStatus.SUCCESS and application.job_id == job_id
    assert creates_sent(sim) == 1 and len(instances_named(sim, "killed.example.org")) == 1
    smtp_sink.wait_for("alice@example.org", "killed.example.org is ready", timeout=10)
    time.sleep(1)  # a second mail would come now
    assert len(smtp_sink.to("alice@example.org")) == 1


def test_a_create_sent_whose_job_id_was_never_saved_is_adopted_not_repeated(
        simulators, cluster_on, user, superuser, smtp_sink, start_watcher, make_application):
    """The crash window: RAPI took the create, the watcher died before saving the job id."""
    sim = simulators(instances=1, job_duration_ms=1000)
    cluster = cluster_on(sim, "sim1")
    application = make_application(cluster, user, hostname="window.example.org")
    InstanceApplication.objects.filter(pk=application.pk).update(status=ApplicationStatus.SUBMITTED)
    application.refresh_from_db()
    lost_job = client_for(cluster).create_instance(**create_request(application))  # what the dead watcher sent

    _watcher, output = start_watcher()  # finds the submitted application on connect
    wait_status(application, output=output)
    assert application.status == ApplicationStatus.SUCCESS and application.job_id == lost_job
    assert creates_sent(sim) == 1 and len(instances_named(sim, "window.example.org")) == 1
    assert f"adopting create job {lost_job}" in output.until("adopting create job", timeout=5)


def test_an_instance_made_by_a_forgotten_attempt_is_adopted(
        simulators, cluster_on, user, superuser, smtp_sink, start_watcher, make_application):
    """The job is gone (archived) but the instance with the application's tag exists: success, no new create."""
    sim = simulators(instances=1)
    cluster = cluster_on(sim, "sim1")
    application = make_application(cluster, user, hostname="forgotten.example.org")
    InstanceApplication.objects.filter(pk=application.pk).update(status=ApplicationStatus.SUBMITTED)
    application.refresh_from_db()
    sim.wait_job(client_for(cluster).create_instance(**create_request(application)))

    _watcher, output = start_watcher()
    wait_status(application, output=output)
    assert application.status == ApplicationStatus.SUCCESS
    assert creates_sent(sim) == 1 and len(instances_named(sim, "forgotten.example.org")) == 1
    smtp_sink.wait_for("alice@example.org", "forgotten.example.org is ready", timeout=10)


def test_the_same_create_message_delivered_many_times_creates_once(
        simulators, cluster_on, user, superuser, smtp_sink, start_watcher, make_application, queue):
    sim = simulators(instances=1, job_duration_ms=500)
    cluster = cluster_on(sim, "sim1")
    application = make_application(cluster, user, hostname="dup.example.org")
    application_submit(application=application, user=superuser)
    for _ in range(4):  # the submit's own message plus four copies
        queue.put(json.dumps({"type": "CREATE", "application": application.pk}))
    watcher, _output = start_watcher("--burst")
    log, _ = watcher.communicate(timeout=120)
    assert watcher.returncode == 0, log
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUCCESS, log
    assert creates_sent(sim) == 1 and len(instances_named(sim, "dup.example.org")) == 1
    smtp_sink.wait_for(ADMIN_ADDRESS, "dup.example.org created", timeout=10)
    assert len(smtp_sink.to("alice@example.org")) == 1 and len(smtp_sink.to(ADMIN_ADDRESS)) == 1
    assert "Traceback" not in log


def test_two_watchers_on_fifty_approvals_make_fifty_instances(
        simulators, cluster_on, user, superuser, smtp_sink, start_watcher, make_application):
    sim = simulators(instances=1, nodes=4, job_duration_ms=100)
    cluster = cluster_on(sim, "sim1")
    applications = [make_application(cluster, user, hostname=f"fleet{n:02d}.example.org", memory=128)
                    for n in range(50)]
    watchers = [start_watcher(), start_watcher()]
    for application in applications:
        application_submit(application=application, user=superuser)
    for application in applications:
        wait_status(application, timeout=120, output=watchers[0][1])
    assert {application.status for application in applications} == {ApplicationStatus.SUCCESS}, [
        (application.hostname, application.backend_message) for application in applications
        if application.status != ApplicationStatus.SUCCESS]
    names = [inst["name"] for inst in sim.state()["cluster"]["instances"] if inst["name"].startswith("fleet")]
    assert sorted(names) == sorted(application.hostname for application in applications)
    assert creates_sent(sim) == 50
    assert len({application.job_id for application in applications}) == 50
    deadline = time.monotonic() + 20
    while len(smtp_sink.to("alice@example.org")) < 50 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)
    subjects = sorted(mail["subject"] for mail in smtp_sink.to("alice@example.org"))
    assert len(subjects) == 50 and len(set(subjects)) == 50  # one mail per instance, none twice
    for process, _output in watchers:  # both took part or not, neither broke
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


def test_an_instance_whose_create_job_still_runs_is_followed_not_adopted(
        simulators, cluster_on, user, make_application):
    """Real Ganeti adds the instance, tags included, to its configuration long before the create job
    ends (disks, OS install, start) and that job may still fail: a handler that finds both must follow
    the job, not call the application created. Here the first job made the instance and a second create
    of the application is still queued when the handler looks."""
    from apply.handlers import _earlier_attempt, create_instance

    sim = simulators(instances=1, job_duration_ms=3000)
    cluster = cluster_on(sim, "sim1")
    application = make_application(cluster, user, hostname="slow.example.org", status=ApplicationStatus.SUBMITTED)
    client = client_for(cluster)
    sim.wait_job(client.create_instance(**create_request(application)))
    live_job = client.create_instance(**create_request(application))  # queued for about a second

    assert _earlier_attempt(client, application) == live_job
    create_instance({"type": "CREATE", "application": application.pk})
    application.refresh_from_db()
    assert application.job_id == live_job and application.status == ApplicationStatus.SUCCESS
    assert creates_sent(sim) == 2 and len(instances_named(sim, "slow.example.org")) == 1
