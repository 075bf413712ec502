"""Shared fixtures. The services come from scripts/with-services.sh (make test), which exports
DATABASE_URL, REDIS_URL and BEANSTALK_URL before pytest starts, since Django reads them at import."""

import os
import shutil
import signal

import pytest

# Playwright's sync API runs an event loop in the test thread; live_server tests use the ORM there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


# with-services.sh stops pytest with SIGTERM (Ctrl-C reaches it only that way, as a background job):
# turn it into KeyboardInterrupt so that fixtures tear down what they started.
signal.signal(signal.SIGTERM, _interrupt)


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
