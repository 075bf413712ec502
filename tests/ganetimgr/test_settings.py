"""Settings as an operator meets them: loaded in a fresh process from environment variables."""

import json
import subprocess

import pytest

from tests.helpers import PROJECT_DIR, PYTHON, run_manage

pytestmark = pytest.mark.slow

SHOW_DATABASE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "d = settings.DATABASES['default']; print(json.dumps([d['ENGINE'], str(d['NAME']), d['HOST']]))"
)


def load_settings(env, **overrides):
    env = {**env, **overrides}
    return subprocess.run([PYTHON, "-c", SHOW_DATABASE], cwd=PROJECT_DIR, env=env, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize(
    "url, engine",
    [
        ("sqlite:////tmp/ganetimgr-settings-test.sqlite3", "django.db.backends.sqlite3"),
        ("postgres://gm:pw@db.example.org:5432/gm", "django.db.backends.postgresql"),
        ("mysql://gm:pw@db.example.org:3306/gm", "django.db.backends.mysql"),
    ],
)
def test_settings_load_under_each_database_url_form(project_env, url, engine):
    result = load_settings(project_env, DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0] == engine


def test_default_database_is_sqlite_under_the_var_dir(project_env, tmp_path):
    env = {k: v for k, v in project_env.items() if k != "DATABASE_URL"}
    result = load_settings(env)
    assert result.returncode == 0, result.stderr
    engine, name, _host = json.loads(result.stdout)
    assert engine == "django.db.backends.sqlite3" and name == str(tmp_path / "var" / "ganetimgr.sqlite3")


def test_secret_key_is_generated_once_and_kept(project_env, tmp_path):
    env = {k: v for k, v in project_env.items() if k != "SECRET_KEY"}
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    first = subprocess.run([PYTHON, "-c", code], cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    second = subprocess.run([PYTHON, "-c", code], cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    key_file = tmp_path / "var" / "secret_key"
    assert first.stdout == second.stdout and len(first.stdout.strip()) >= 50
    assert key_file.read_text().strip() == first.stdout.strip()
    assert key_file.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "variable, value",
    [("DATABASE_URL", "postgres//missing-colon"), ("REDIS_URL", "localhost:6379"), ("BEANSTALK_URL", "host:port"),
     ("DEBUG", "perhaps"), ("SESSION_COOKIE_AGE", "3h"), ("LOG_LEVEL", "loud"), ("TIME_ZONE", "Nowhere/City"),
     ("BEANSTALK_TUBE", "-leading-dash"), ("LANGUAGE_CODE", "fr"), ("SECRET_KEY_FILE", "/")],
)
def test_malformed_settings_give_one_line_naming_the_variable(project_env, variable, value):
    result = run_manage("check", env={**project_env, variable: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ganetimgr: configuration error:") and variable in lines[0]
    assert "Traceback" not in result.stderr


def test_check_deploy_is_clean_with_production_variables(project_env):
    env = {**project_env, "DEBUG": "off", "SECRET_KEY": "x7!" * 20 + "production-secret-value",
           "ALLOWED_HOSTS": "ganetimgr.example.org"}
    env.pop("HTTPS")
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_complains_when_https_is_turned_off(project_env):
    env = {**project_env, "DEBUG": "off", "SECRET_KEY": "x7!" * 20 + "production-secret-value",
           "ALLOWED_HOSTS": "ganetimgr.example.org", "HTTPS": "off"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT" in result.stderr + result.stdout


def test_settings_dist_names_the_original_settings():
    text = (PROJECT_DIR / "settings.py.dist").read_text()
    for name in ["GANETI_TAG_PREFIX", "RAPI_CONNECT_TIMEOUT", "RAPI_RESPONSE_TIMEOUT", "BRANDING", "ADMINS",
                 "MANAGERS", "BEANSTALK_TUBE", "SESSION_COOKIE_AGE", "DATABASES", "CACHES"]:
        assert f"{name} =" in text, name


def test_settings_dist_as_copied_is_refused_until_filled_in(project_env):
    env = {**project_env, "GANETIMGR_LOCAL_SETTINGS": str(PROJECT_DIR / "settings.py.dist")}
    result = run_manage("check", env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == ("ganetimgr: configuration error: replace the FILL-IN values in your local "
                                     "settings: ADMINS, ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS, DATABASES, MANAGERS, SITE_URL")


BACKEND_PIDS = (
    "import json, django; django.setup(); from django.db import connection; pids = []\n"
    "for _ in range(5):\n"
    "    with connection.cursor() as cursor:\n"
    "        cursor.execute('SELECT pg_backend_pid()'); pids.append(cursor.fetchone()[0])\n"
    "    connection.close()  # what Django does at the end of every request\n"
    "print(json.dumps(pids))"
)


@pytest.mark.integration
@pytest.mark.parametrize("pool_size, reused", [("0", False), ("4", True)])
def test_database_pool_size_keeps_postgresql_connections_for_the_next_request(project_env, pool_size, reused):
    """With DATABASE_POOL_SIZE, a request's connection goes back to the pool at its end and the next one
    takes it, instead of connecting again."""
    env = {**project_env, "DATABASE_POOL_SIZE": pool_size}
    result = subprocess.run([PYTHON, "-c", BACKEND_PIDS], cwd=PROJECT_DIR, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    backends = json.loads(result.stdout)
    assert (len(set(backends)) < len(backends)) is reused, backends
