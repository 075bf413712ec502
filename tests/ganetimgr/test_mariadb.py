"""The MySQL/MariaDB wiring (mysqlclient through DATABASE_URL=mysql://...) against a real MariaDB server."""

from urllib.parse import urlsplit

import pytest

from tests.helpers import run_manage
from tests.mariadb import running_mariadb
from tests.settings_dist import deploy_env, filled_settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def mariadb_url(tmp_path_factory):
    """A throw-away MariaDB; its URL for a user owning database `ganetimgr`."""
    with running_mariadb(tmp_path_factory.mktemp("mariadb")) as (url, _client):
        yield url


ROUND_TRIP = """
from ganeti.models import Cluster, Network
from django.core.exceptions import ValidationError
cluster = Cluster(hostname="c.example.org", slug="c", description="Συστάδα 🚀", username="u")
cluster.password = "maria-secret"
cluster.save()
cluster = Cluster.objects.get(slug="c")
print(cluster.description, cluster.password, "maria-secret" in cluster.password_encrypted)
Network.objects.create(description="a", cluster=cluster, link="br0", cluster_default=True)
second = Network(description="b", cluster=cluster, link="br1", cluster_default=True)
try:
    second.full_clean()
except ValidationError as error:
    print(error.messages[0])
"""


def test_migrate_and_round_trip_on_mariadb(project_env, mariadb_url):
    env = {**project_env, "DATABASE_URL": mariadb_url}
    migrate = run_manage("migrate", "--noinput", env=env, timeout=180)
    assert migrate.returncode == 0, migrate.stderr
    shell = run_manage("shell", "--no-imports", "-c", ROUND_TRIP, env=env)
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.splitlines() == ["Συστάδα 🚀 maria-secret False", "This cluster already has a default network."]


def test_check_deploy_is_clean_on_mariadb(project_env, mariadb_url):
    env = {**project_env, "DATABASE_URL": mariadb_url, "DEBUG": "off", "ALLOWED_HOSTS": "gm.example.org",
           "SECRET_KEY": "m@ria" * 12}
    env.pop("HTTPS")
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_settings_dist_mysql_line_filled_in_reaches_mariadb(project_env, mariadb_url, tmp_path):
    settings_file = tmp_path / "settings.py"
    settings_file.write_text(filled_settings(tmp_path, mariadb_url))
    env = deploy_env(project_env, settings_file)
    migrate = run_manage("migrate", "--noinput", env=env, timeout=180)
    assert migrate.returncode == 0, migrate.stderr
    preflight = run_manage("preflight", env=env)
    assert preflight.returncode == 0, preflight.stderr
    assert preflight.stdout.startswith(f"database: ok (mysql 127.0.0.1:{urlsplit(mariadb_url).port}/ganetimgr)")
