"""Fixtures of the apply tests. The watcher's CREATE path (H5b): the real watcher.py as a subprocess on a
private tube, sharing the test database (committed rows: those tests use transactional_db), Redis, the
SMTP sink and the simulator with the test process; the real Ganeti testbed. Helpers: tests/apply/creation.py."""

import subprocess
import uuid
from urllib.parse import quote

import greenstalk
import pytest

import tests.testbed
from tests.helpers import PROJECT_DIR, PYTHON, OutputReader
from tests.mail import ADMIN_ADDRESS

# The real Ganeti testbed (session scope), for test_create_real_ganeti.py.
ganeti_testbed = tests.testbed.ganeti_testbed


@pytest.fixture
def tube(settings):
    """A private tube: application_submit in this process and the watchers use it."""
    name = f"test-create-{uuid.uuid4().hex[:10]}"
    settings.BEANSTALK_TUBE = name
    return name


@pytest.fixture
def queue(tube, settings):
    with greenstalk.Client(settings.BEANSTALK_ADDRESS, use=tube, watch=tube) as client:
        yield client


def _database_url(settings) -> str:
    db = settings.DATABASES["default"]
    assert "postgresql" in db["ENGINE"], "the watcher tests need PostgreSQL (make test)"
    return (f"postgres://{quote(db['USER'])}:{quote(db['PASSWORD'])}@{db['HOST']}:{db['PORT']}/"
            f"{quote(db['NAME'])}")


@pytest.fixture
def watcher_env(project_env, tube, settings, transactional_db):
    """The environment of a watcher process working on the test database and the private tube; mail goes
    where this process's settings send it (the smtp_sink or dead_mail_server fixture, requested first)."""
    env = {**project_env, "DATABASE_URL": _database_url(settings), "BEANSTALK_TUBE": tube,
           "EMAIL_BACKEND": settings.EMAIL_BACKEND, "EMAIL_HOST": settings.EMAIL_HOST,
           "EMAIL_PORT": str(settings.EMAIL_PORT), "EMAIL_TIMEOUT": "2", "MANAGERS": ADMIN_ADDRESS,
           "ADMINS": ADMIN_ADDRESS, "SECRET_KEY": settings.SECRET_KEY, "SITE_URL": "http://ganetimgr.test", "LOG_LEVEL": "INFO"}
    return env


@pytest.fixture
def start_watcher(watcher_env):
    """start(*args) -> (process, OutputReader); every watcher is killed after the test."""
    processes = []

    def start(*args, env=None):
        process = subprocess.Popen([PYTHON, "watcher.py", *args], cwd=PROJECT_DIR, env={**watcher_env, **(env or {})},
                                   text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        processes.append(process)
        output = OutputReader(process)
        output.until("connected to beanstalkd")
        return process, output

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


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
