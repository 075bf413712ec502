"""Shared fixtures. The services come from scripts/with-services.sh (make test), which exports
DATABASE_URL, REDIS_URL and BEANSTALK_URL before pytest starts, since Django reads them at import."""

import os
import shutil
import signal
import subprocess
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from django.utils import translation

from tests.helpers import PROJECT_DIR, PYTHON, OutputReader, database_url

# tests/testbed.py: the real Ganeti testbed's fixtures (ganeti_testbed, testbed_cluster) and its end-of-run
# report, for every suite that asks for them.
pytest_plugins = ["tests.testbed"]

# Playwright's sync API runs an event loop in the test thread; live_server tests use the ORM there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


# with-services.sh stops pytest with SIGTERM (Ctrl-C reaches it only that way, as a background job):
# turn it into KeyboardInterrupt so that fixtures tear down what they started.
signal.signal(signal.SIGTERM, _interrupt)


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hasher():
    """Passwords the tests set are hashed with MD5: PBKDF2's million rounds cost ~0.4 s a user here, and
    suites create hundreds. The real hashers stay listed after it, so a hash made by a ganetimgr subprocess
    (the demo, manage.py) still checks; a password set in this process is not for a subprocess to check."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher",
                                             *django_settings.PASSWORD_HASHERS]):
        yield


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language: the test client's requests run LocaleMiddleware in the
    test's own thread, and a Greek page would otherwise leave Greek active for code a later test calls
    directly (a service's messages, a mail rendered outside a request)."""
    yield
    translation.deactivate()


@pytest.fixture
def project_env(tmp_path):
    """Environment for a ganetimgr subprocess: the test services, a private var dir, no HTTPS."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_ALLOW"))}
    env.update({"GANETIMGR_VAR_DIR": str(tmp_path / "var"), "HTTPS": "off", "DJANGO_SETTINGS_MODULE": "ganetimgr.settings"})
    return env


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium: Playwright cannot download its own browser here."""
    executable = os.environ.get("CHROMIUM_BIN") or shutil.which("chromium") or "/usr/bin/chromium"
    return {**browser_type_launch_args, "executable_path": executable,
            "args": [*browser_type_launch_args.get("args", []), "--disable-gpu", "--disable-quic"]}


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("alice", "alice@example.org", "alice-secret-pw",
                                                 first_name="Alice")


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", "root-secret-pw")


@pytest.fixture
def simulators(tmp_path):
    """start(**options) -> a running ganetisim process (tests/simulator.py); all are stopped after the test."""
    from tests.simulator import start_simulator

    started = []

    def start(**options):
        sim = start_simulator(tmp_path, **options)
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def smtp_sink(settings):
    """Mail goes through real SMTP to the sink; the tests read what it received (ADMINS = MANAGERS = ADMIN_ADDRESS)."""
    from tests.mail import ADMIN_ADDRESS, Sink

    if "SMTP_SINK_PORT" not in os.environ:
        pytest.fail("SMTP_SINK_PORT is not set: run the tests with `make test` (scripts/with-services.sh)")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = os.environ["SMTP_SINK_HOST"]
    settings.EMAIL_PORT = int(os.environ["SMTP_SINK_PORT"])
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.ADMINS = settings.MANAGERS = [("Approver", ADMIN_ADDRESS)]
    sink = Sink(Path(os.environ["SMTP_SINK_MAILDIR"]))
    sink.clear()
    return sink


@pytest.fixture
def dead_mail_server(settings):
    """Mail goes to a port where nothing listens: sending fails."""
    from tests.helpers import free_port
    from tests.mail import ADMIN_ADDRESS

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    settings.ADMINS = settings.MANAGERS = [("Approver", ADMIN_ADDRESS)]


@pytest.fixture
def cluster_on(db):
    """cluster_on(sim, slug) -> a saved Cluster that reaches that simulator as its write user, certificate pinned."""
    from tests.helpers import add_cluster

    return add_cluster


@pytest.fixture
def empty_inventory():
    """No inventory snapshot, cached rows or list memos left by an earlier test (and no cached rows after
    this one). Not autouse: suites that need it say so (pytest.mark.usefixtures("empty_inventory"))."""
    from django.core.cache import cache

    from ganeti.rapi import inventory
    from ganeti.selectors import _derived, _owned
    from ganeti.views.instances import _row_html
    from ganeti.views.jobs import _row_html as _job_row_html  # jobs page rows
    from ganeti.views.jobs import _row_json as _job_row_json

    cache.clear()
    inventory._built.clear()
    _derived.clear()
    _owned.clear()
    _row_html.clear()
    _job_row_html.clear()
    _job_row_json.clear()
    yield
    cache.clear()


@pytest.fixture
def ldap_settings(settings):
    """LDAP logins against the test slapd, as settings.py sets them up from AUTH_LDAP_* variables."""
    if "LDAP_TEST_URI" not in os.environ:
        pytest.fail("LDAP_TEST_URI is not set: run the tests with `make test` (scripts/with-services.sh)")
    import ldap
    from django_auth_ldap.config import GroupOfNamesType, LDAPSearch

    base = os.environ["LDAP_TEST_BASE_DN"]
    settings.AUTH_LDAP_SERVER_URI = os.environ["LDAP_TEST_URI"]
    settings.AUTH_LDAP_BIND_DN = os.environ["LDAP_TEST_BIND_DN"]
    settings.AUTH_LDAP_BIND_PASSWORD = os.environ["LDAP_TEST_BIND_PASSWORD"]
    settings.AUTH_LDAP_USER_SEARCH = LDAPSearch(f"ou=people,{base}", ldap.SCOPE_SUBTREE, "(uid=%(user)s)")
    settings.AUTH_LDAP_USER_ATTR_MAP = {"first_name": "givenName", "last_name": "sn", "email": "mail"}
    settings.AUTH_LDAP_GROUP_SEARCH = LDAPSearch(f"ou=groups,{base}", ldap.SCOPE_SUBTREE, "(objectClass=groupOfNames)")
    settings.AUTH_LDAP_GROUP_TYPE = GroupOfNamesType()
    settings.AUTH_LDAP_USER_FLAGS_BY_GROUP = {"is_staff": f"cn=helpdesk,ou=groups,{base}"}
    settings.AUTH_LDAP_CONNECTION_OPTIONS = {ldap.OPT_NETWORK_TIMEOUT: 5}
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "accounts.backends.LDAPBackend"]
    return settings


@pytest.fixture
def tube(settings):
    """A beanstalkd tube of this test's own: enqueue() in this process and the watchers started by
    `watcher_env` below use it, so they see only this test's messages."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    settings.BEANSTALK_TUBE = name
    return name


@pytest.fixture
def queue(tube, settings):
    """A beanstalkd client using and watching the private tube."""
    import greenstalk

    with greenstalk.Client(settings.BEANSTALK_ADDRESS, use=tube, watch=tube) as client:
        yield client


@pytest.fixture
def watcher_env(project_env, tube, settings):
    """The environment of a watcher.py process on this test's database (it sees committed rows only: such
    tests use transactional_db) and its private tube. A suite adds to it by overriding this fixture."""
    return {**project_env, "DATABASE_URL": database_url(settings.DATABASES["default"]), "BEANSTALK_TUBE": tube,
            "SECRET_KEY": settings.SECRET_KEY}


@pytest.fixture
def run_watcher(watcher_env):
    """run(timeout=120) -> its output: the real watcher (watcher.py --burst) until the tube is empty; the
    test fails unless it exits 0."""

    def run(timeout: float = 120) -> str:
        watcher = subprocess.run([PYTHON, "watcher.py", "--burst"], cwd=PROJECT_DIR, env=watcher_env, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
        assert watcher.returncode == 0, watcher.stdout
        return watcher.stdout

    return run


@pytest.fixture
def start_watcher(watcher_env):
    """start(*args, env=None) -> (process, OutputReader): the real watcher running (watcher.py *args),
    once it is connected to beanstalkd; every one still running is killed after the test."""
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
