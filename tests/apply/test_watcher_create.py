"""apply → approve → submit → the real watcher creates the instance on the simulator, mails, and the
instance is in the applicant's list."""

import pytest

from apply.models import ApplicationStatus, Organization, QueueProblem
from apply.services import application_submit
from ganeti.rapi import inventory
from tests.apply.creation import ADMIN_ADDRESS, creates_sent, instances_named, wait_status

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_an_approved_application_becomes_a_running_instance_of_the_applicant(
        simulators, cluster_on, user, superuser, smtp_sink, start_watcher, make_application):
    sim = simulators(instances=2, owners="bob")
    cluster = cluster_on(sim, "sim1")
    organization = Organization.objects.create(title="Physics", tag="physics")
    application = make_application(cluster, user, hostname="web1.example.org", memory=1024, vcpus=2, disk_size=3,
                                   organization=organization, hosts_mail_server=True,
                                   admin_comments="Backups are yours.")
    watcher, output = start_watcher()

    submission = application_submit(application=application, user=superuser)
    assert submission.queued is True and application.status == ApplicationStatus.SUBMITTED
    assert "submitted to" in submission.message

    wait_status(application, output=output)
    assert application.status == ApplicationStatus.SUCCESS, application.backend_message
    assert application.job_id and application.finished_at and application.reviewer == superuser

    mine = [instance for instance in inventory.instances([cluster], user=user).items]
    assert [instance.name for instance in mine] == ["web1.example.org"]
    instance = mine[0]
    assert instance.is_running
    assert instance.meanings.application_id == application.pk and instance.meanings.organization == "physics"
    assert instance.meanings.services == {"mail"} and instance.users == {"alice"}
    created = instances_named(sim, "web1.example.org")[0]
    assert created["custom_beparams"] == {"maxmem": 1024, "minmem": 1024, "vcpus": 2}
    assert [disk["size"] for disk in created["disks"]] == [3 * 1024] and created["os"] == "debootstrap+default"
    assert creates_sent(sim) == 1

    mail = smtp_sink.wait_for("alice@example.org", "Instance web1.example.org is ready", timeout=10)
    assert "Backups are yours." in mail["body"] and "http://ganetimgr.test" in mail["body"]
    managers = smtp_sink.wait_for(ADMIN_ADDRESS, "web1.example.org created on", timeout=10)
    assert f"#{application.pk}" in managers["body"] and str(application.job_id) in managers["body"]
    smtp_sink.wait_for("root@example.org", "web1.example.org created on", timeout=10)  # the reviewer too
    assert len(smtp_sink.to("alice@example.org")) == 1


def test_the_applicant_is_mailed_in_the_language_they_applied_in(
        simulators, cluster_on, user, superuser, smtp_sink, start_watcher, make_application):
    cluster = cluster_on(simulators(instances=1), "sim1")
    application = make_application(cluster, user, hostname="greek.example.org", language="el")
    _watcher, output = start_watcher()
    application_submit(application=application, user=superuser)
    assert wait_status(application, output=output).status == ApplicationStatus.SUCCESS
    mail = smtp_sink.wait_for("alice@example.org", "greek.example.org", timeout=10)
    assert "είναι έτοιμο" in mail["subject"], mail["subject"]
    managers = smtp_sink.wait_for(ADMIN_ADDRESS, "greek.example.org", timeout=10)
    assert "created on" in managers["subject"]  # managers read the site's language


def test_a_ganeti_failure_fails_the_application_with_ganetis_words_and_a_resubmit_creates_it(
        simulators, cluster_on, user, superuser, smtp_sink, start_watcher, make_application):
    sim = simulators(instances=1)
    cluster = cluster_on(sim, "sim1")
    application = make_application(cluster, user, hostname="big.example.org", memory=1024 * 1024)
    _watcher, output = start_watcher()

    application_submit(application=application, user=superuser)
    wait_status(application, output=output)
    assert application.status == ApplicationStatus.FAILED
    assert "Not enough memory" in application.backend_message and "needed 1048576 MiB" in application.backend_message
    assert instances_named(sim, "big.example.org") == []
    failure = smtp_sink.wait_for(ADMIN_ADDRESS, "Instance creation failure for big.example.org", timeout=10)
    assert "Not enough memory" in failure["body"]
    assert f"http://ganetimgr.test/application/{application.pk}/review/" in failure["body"]
    assert smtp_sink.to("alice@example.org") == []

    application.memory = 2048  # the reviewer fixes it and submits again
    application.save()
    application_submit(application=application, user=superuser)
    assert application.backend_message == "" and application.status == ApplicationStatus.SUBMITTED
    wait_status(application, output=output)
    assert application.status == ApplicationStatus.SUCCESS, application.backend_message
    assert len(instances_named(sim, "big.example.org")) == 1
    smtp_sink.wait_for("alice@example.org", "is ready", timeout=10)


def test_a_name_in_use_on_the_cluster_fails_with_ganetis_words(
        simulators, cluster_on, user, superuser, smtp_sink, start_watcher, make_application):
    sim = simulators(instances=1, owners="bob")
    taken = sim.state()["cluster"]["instances"][0]["name"]
    cluster = cluster_on(sim, "sim1")
    application = make_application(cluster, user, hostname=taken)
    _watcher, output = start_watcher()
    application_submit(application=application, user=superuser)
    wait_status(application, output=output)
    assert application.status == ApplicationStatus.FAILED
    assert application.backend_message == f"Instance '{taken}' is already in the cluster"
    assert instances_named(sim, taken)[0]["tags"] == sim.state()["cluster"]["instances"][0]["tags"]  # untouched


def test_a_dead_mail_server_changes_nothing_but_a_log_line(
        simulators, cluster_on, user, superuser, dead_mail_server, start_watcher, make_application):
    sim = simulators(instances=1)
    cluster = cluster_on(sim, "sim1")
    first = make_application(cluster, user, hostname="one.example.org")
    second = make_application(cluster, user, hostname="two.example.org")
    _watcher, output = start_watcher()
    application_submit(application=first, user=superuser)
    assert wait_status(first, output=output).status == ApplicationStatus.SUCCESS
    output.until("not sent", timeout=20)
    application_submit(application=second, user=superuser)  # the watcher still works
    assert wait_status(second, output=output).status == ApplicationStatus.SUCCESS
    assert len(instances_named(sim, "one.example.org")) == len(instances_named(sim, "two.example.org")) == 1


def test_unhandleable_messages_are_buried_and_shown_to_admins(start_watcher, queue, tube, admin_client):
    queue.put('{"type": "CREATE", "application": 987654}')
    queue.put('{"type": "CREATE"}')
    queue.put("this is not json")
    watcher, _output = start_watcher("--burst")
    log, _ = watcher.communicate(timeout=60)
    assert queue.stats_tube(tube)["current-jobs-buried"] == 3, log
    problems = {problem.body: problem for problem in QueueProblem.objects.all()}
    assert problems['{"type": "CREATE", "application": 987654}'].reason == "there is no application #987654"
    assert problems['{"type": "CREATE"}'].message_type == "CREATE"
    assert problems["this is not json"].reason == "message is not JSON"
    page = admin_client.get("/admin/apply/queueproblem/")
    assert page.status_code == 200 and "there is no application #987654" in page.content.decode()


def test_submitted_while_beanstalkd_is_down_is_created_once_the_watcher_connects(
        simulators, cluster_on, user, superuser, settings, smtp_sink, watcher_env, start_watcher, make_application):
    from tests.helpers import free_port

    sim = simulators(instances=1)
    cluster = cluster_on(sim, "sim1")
    application = make_application(cluster, user, hostname="later.example.org")
    address = settings.BEANSTALK_ADDRESS
    settings.BEANSTALK_ADDRESS = ("127.0.0.1", free_port())  # nothing listens there
    submission = application_submit(application=application, user=superuser)
    assert submission.queued is False and "queue is not reachable" in submission.message
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED  # the database keeps it

    settings.BEANSTALK_ADDRESS = address
    _watcher, output = start_watcher()
    output.until("re-enqueued 1 submitted application(s)")
    assert wait_status(application, output=output).status == ApplicationStatus.SUCCESS
    assert creates_sent(sim) == 1


@pytest.mark.parametrize("status", ["pending", "submitted", "success", "refused", "discarded"])
def test_only_approved_or_failed_applications_are_submitted(status, simulators, cluster_on, user, superuser, queue,
                                                            tube, make_application):
    from apply.services import SubmitRefused

    application = make_application(cluster_on(simulators(instances=1), "sim1"), user, status=status)
    with pytest.raises(SubmitRefused):
        application_submit(application=application, user=superuser)
    application.refresh_from_db()
    assert application.status == status and queue.stats_tube(tube)["current-jobs-ready"] == 0


def test_an_application_without_a_cluster_is_not_submitted(user, superuser, queue, tube, make_application):
    from apply.services import SubmitRefused

    application = make_application(None, user)
    with pytest.raises(SubmitRefused, match="Choose the cluster"):
        application_submit(application=application, user=superuser)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED


def test_the_create_request_hands_the_instance_the_absolute_ssh_keys_url(settings, client, user, make_application):
    from accounts.models import SshKey
    from apply import images
    from apply.handlers import create_request
    from ganeti.models import Cluster

    settings.SITE_URL = "https://ganetimgr.test"
    settings.IMAGES_URL = settings.OPERATING_SYSTEMS_URLS = settings.SNF_OPERATING_SYSTEMS_URLS = []
    settings.OPERATING_SYSTEMS = {"img": {"description": "Image", "provider": "image+default",
                                          "osparams": {"img_id": "debian"}, "ssh_key_param": "img_ssh_key_url"}}
    images.invalidate()
    SshKey.objects.create(user=user, key_type="ssh-ed25519", public_key="AAAAC3NzaKEY1", comment="alice@laptop",
                          fingerprint="SHA256:one")
    cluster = Cluster.objects.create(hostname="127.0.0.1", port=1, slug="offline")
    application = make_application(cluster, user, operating_system="img")

    url = create_request(application)["osparams"]["img_ssh_key_url"]
    path = f"/application/{application.pk}/{application.ssh_keys_cookie}/ssh_keys"
    assert url == "https://ganetimgr.test" + path
    assert client.get(path).content.decode() == "ssh-ed25519 AAAAC3NzaKEY1 alice@laptop\n"


def test_a_database_outage_retries_the_message_instead_of_burying_it(transactional_db, user, make_application):
    """Buried, the application would stay submitted until a watcher restart; released, it is tried again."""
    from django.db import connection

    from apply.handlers import create_instance
    from ganetimgr.worker import Retry
    from tests.helpers import free_port

    application = make_application(None, user, status=ApplicationStatus.SUBMITTED)
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = free_port()  # nothing listens there
    try:
        with pytest.raises(Retry, match="database"):
            create_instance({"type": "CREATE", "application": application.pk})
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED and application.job_id is None


def test_an_os_gone_from_the_catalogue_fails_the_application_in_the_sites_language(
        simulators, cluster_on, user, settings, make_application):
    from django.utils import translation

    from apply import images
    from apply.handlers import create_instance

    settings.IMAGES_URL = settings.OPERATING_SYSTEMS_URLS = settings.SNF_OPERATING_SYSTEMS_URLS = []
    images.invalidate()
    sim = simulators(instances=1)
    cluster = cluster_on(sim, "sim1")
    gone = make_application(cluster, user, operating_system="windows-95", status=ApplicationStatus.SUBMITTED)
    greek = make_application(cluster, user, operating_system="windows-95", status=ApplicationStatus.SUBMITTED)
    create_instance({"type": "CREATE", "application": gone.pk})
    with translation.override("el"):
        create_instance({"type": "CREATE", "application": greek.pk})
    gone.refresh_from_db()
    greek.refresh_from_db()
    assert gone.status == greek.status == ApplicationStatus.FAILED
    assert gone.backend_message.startswith("The operating system windows-95 is not in the catalogue")
    assert greek.backend_message.startswith("Το λειτουργικό σύστημα windows-95 δεν υπάρχει")
    assert creates_sent(sim) == 0
