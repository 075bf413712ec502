"""A missing service stops start-up with one line naming the setting to fix."""

import subprocess

import pytest

from tests.helpers import PROJECT_DIR, PYTHON, free_port, run_manage

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_preflight_reports_every_service_ok(project_env):
    result = run_manage("preflight", env=project_env)
    assert result.returncode == 0, result.stderr
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["database", "cache", "queue"]


@pytest.mark.parametrize(
    "variable, value_template, service",
    [
        ("REDIS_URL", "redis://127.0.0.1:{port}/0", "cache"),
        ("BEANSTALK_URL", "127.0.0.1:{port}", "queue"),
        ("DATABASE_URL", "postgres://gm:pw@127.0.0.1:{port}/gm", "database"),
    ],
)
def test_unreachable_service_gives_one_line_naming_the_setting(project_env, variable, value_template, service):
    env = {**project_env, variable: value_template.format(port=free_port())}
    result = run_manage("preflight", service, env=env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"{service} at" in lines[0] and f"check {variable}" in lines[0]


def test_migrate_against_an_unreachable_database_says_so_in_one_line(project_env):
    env = {**project_env, "DATABASE_URL": f"postgres://gm:pw@127.0.0.1:{free_port()}/gm"}
    result = run_manage("migrate", env=env)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "(check DATABASE_URL)" in result.stderr and "pw@" not in result.stderr


def test_gunicorn_refuses_to_start_without_redis(project_env):
    env = {**project_env, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    result = subprocess.run(
        [str(PROJECT_DIR / ".venv/bin/gunicorn"), "-c", "contrib/gunicorn.conf.py", "--bind",
         f"127.0.0.1:{free_port()}", "ganetimgr.wsgi:application"],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    assert "gunicorn: cache at redis://127.0.0.1" in result.stderr and "(check REDIS_URL)" in result.stderr
    assert "Traceback" not in result.stderr


def test_watcher_refuses_to_start_without_beanstalkd(project_env):
    env = {**project_env, "BEANSTALK_URL": f"127.0.0.1:{free_port()}"}
    result = subprocess.run([PYTHON, "watcher.py"], cwd=PROJECT_DIR, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("watcher: queue at 127.0.0.1") and "(check BEANSTALK_URL)" in lines[-1]
    assert "Traceback" not in result.stderr
