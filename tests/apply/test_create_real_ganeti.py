"""The create path against the real Ganeti 3.0 testbed: approve → the real watcher creates → the instance
exists on the cluster, running, with the application's tags. The testbed is shared: a unique host name,
and the instance is removed at the end."""

import uuid

import pytest

from apply.models import ApplicationStatus
from apply.services import application_submit
from ganeti.rapi.connection import client_for
from tests.apply.creation import wait_status

pytestmark = [pytest.mark.real_ganeti, pytest.mark.integration, pytest.mark.slow,
              pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")]


def test_the_watcher_creates_the_approved_instance_on_real_ganeti(
        testbed_cluster, user, superuser, smtp_sink, start_watcher, make_application):
    hostname = f"h5b-{uuid.uuid4().hex[:8]}.testbed.example.org"
    client = client_for(testbed_cluster)
    application = make_application(testbed_cluster, user, hostname=hostname, memory=128, vcpus=1, disk_size=1,
                                   operating_system="none", disk_template="file", hosts_mail_server=True)
    _watcher, output = start_watcher()
    try:
        application_submit(application=application, user=superuser)
        wait_status(application, timeout=240, output=output)
        assert application.status == ApplicationStatus.SUCCESS, application.backend_message
        instance = client.get_instance(hostname)
        assert {"ganetimgr:user:alice", f"ganetimgr:application:{application.pk}",
                "ganetimgr:service:mail"} <= set(instance["tags"])
        assert instance["admin_state"] == "up" and instance["os"] == "noop"
        assert instance["beparams"]["maxmem"] == 128 and instance["disk_template"] == "file"
        job = client.get_job(application.job_id)
        assert job["ops"][0]["OP_ID"] == "OP_INSTANCE_CREATE" and job["status"] == "success"
        smtp_sink.wait_for("alice@example.org", f"{hostname} is ready", timeout=15)
    finally:
        # Never created: Ganeti ends the delete job in "unknown_entity", which raises nothing. A transport
        # error does raise, since an instance may then be left on the shared testbed.
        client.wait_for_job(client.delete_instance(hostname), timeout=180)
