"""Fixtures of the apply tests. The watcher's CREATE path: the real watcher.py as a subprocess on a
private tube, sharing the test database (committed rows: those tests use transactional_db), Redis, the
SMTP sink and the simulator with the test process (tube, queue, start_watcher: tests/conftest.py); the real
Ganeti testbed. Helpers: tests/apply/creation.py."""

import uuid

import pytest

import tests.testbed
from tests.mail import ADMIN_ADDRESS

# The real Ganeti testbed (session scope) and a Cluster row for it, for test_create_real_ganeti.py.
ganeti_testbed = tests.testbed.ganeti_testbed
testbed_cluster = tests.testbed.testbed_cluster


@pytest.fixture
def watcher_env(watcher_env, settings, transactional_db):
    """tests/conftest.py's, with mail going where this process's settings send it (the smtp_sink or
    dead_mail_server fixture, requested first) and the site's address for the mailed links."""
    return {**watcher_env, "EMAIL_BACKEND": settings.EMAIL_BACKEND, "EMAIL_HOST": settings.EMAIL_HOST,
            "EMAIL_PORT": str(settings.EMAIL_PORT), "EMAIL_TIMEOUT": "2", "MANAGERS": ADMIN_ADDRESS,
            "ADMINS": ADMIN_ADDRESS, "SITE_URL": "http://ganetimgr.test", "LOG_LEVEL": "INFO"}


@pytest.fixture
def make_application(db):
    """make_application(cluster, applicant, hostname=..., **fields) -> an approved application placed on cluster."""
    from apply.models import ApplicationStatus, InstanceApplication

    def make(cluster, applicant, hostname=None, **fields):
        values = {"hostname": hostname or f"vm-{uuid.uuid4().hex[:8]}.example.org", "memory": 512, "vcpus": 1,
                  "disk_size": 2, "operating_system": "debian", "comments": "tests", "applicant": applicant,
                  "language": "en", "cluster": cluster, "disk_template": "plain",
                  "status": ApplicationStatus.APPROVED, **fields}
        return InstanceApplication.objects.create(**values)

    return make
