"""Fixtures for the watcher's CREATE path: the real watcher.py as a subprocess on a private tube, sharing
the test database (committed rows: these tests use transactional_db), Redis, the SMTP sink and the
simulator with the test process. Import the fixtures into a test module with
`from tests.apply.creation import *  # noqa: F403`."""

import subprocess
import time
import uuid
from urllib.parse import quote

import greenstalk
import pytest

from tests.helpers import PROJECT_DIR, PYTHON, OutputReader
from tests.mail import ADMIN_ADDRESS

__all__ = ["tube", "queue", "watcher_env", "start_watcher", "make_application", "wait_status", "creates_sent",
           "instances_named", "ADMIN_ADDRESS", "OutputReader"]


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


def wait_status(application, statuses=("success", "failed"), timeout=60, output=None):
    """Reload the application until its status is one of `statuses`."""
    deadline = time.monotonic() + timeout
    while True:
        application.refresh_from_db()
        if application.status in statuses:
            return application
        if time.monotonic() > deadline:
            log = drain(output) if output else ""
            raise AssertionError(f"application #{application.pk} still {application.status} after {timeout}s\n{log}")
        time.sleep(0.1)


def drain(output) -> str:
    """Everything the process printed so far (without waiting)."""
    import queue as queue_module

    while True:
        try:
            line = output._queue.get_nowait()
        except queue_module.Empty:
            break
        if line is None:
            break
        output.lines.append(line)
    return "".join(output.lines)


def creates_sent(sim) -> int:
    """How many create requests (POST /2/instances) the simulator received."""
    return sum(count for key, count in sim.control("GET", "stats")["requests"].items()
               if key.startswith("POST") and key.rstrip("/").endswith("/2/instances"))


def instances_named(sim, hostname) -> list[dict]:
    instances = sim.state()["cluster"]["instances"]
    if isinstance(instances, dict):
        return [inst for name, inst in instances.items() if name == hostname]
    return [inst for inst in instances if inst.get("name") == hostname]

