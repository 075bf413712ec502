"""The MySQL/MariaDB wiring (mysqlclient through DATABASE_URL=mysql://...) against a real MariaDB server."""

import os
import shutil
import subprocess
import time

import pytest

from tests.helpers import free_port, run_manage

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def mariadb_url(tmp_path_factory):
    """A throw-away MariaDB on a free loopback port; its URL for a user owning database `ganetimgr`."""
    if not shutil.which("mariadbd", path="/usr/sbin:/usr/bin"):
        pytest.fail("mariadb-server is not installed: run scripts/setup.sh test")
    directory = tmp_path_factory.mktemp("mariadb")
    as_root = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={directory}/data", *as_root,
                    "--auth-root-authentication-method=normal", "--skip-test-db"],
                   check=True, capture_output=True, timeout=120)
    port = free_port()
    server = subprocess.Popen(
        ["/usr/sbin/mariadbd", "--no-defaults", f"--datadir={directory}/data", f"--socket={directory}/sock",
         f"--port={port}", "--bind-address=127.0.0.1", *as_root, "--skip-log-bin",
         "--innodb-buffer-pool-size=32M"],
        stdout=open(directory / "server.log", "w"), stderr=subprocess.STDOUT,
    )
    try:
        setup = ["CREATE DATABASE ganetimgr CHARACTER SET utf8mb4",
                 "CREATE USER 'ganetimgr'@'127.0.0.1' IDENTIFIED BY 'maria-pw'",
                 "GRANT ALL ON *.* TO 'ganetimgr'@'127.0.0.1'"]  # *.*: Django's test runner creates its own DB
        for _ in range(200):
            done = subprocess.run(["mariadb", "--no-defaults", f"--socket={directory}/sock", "-uroot",
                                   "-e", "; ".join(setup)], capture_output=True)
            if done.returncode == 0:
                break
            time.sleep(0.05)
        else:
            raise AssertionError((directory / "server.log").read_text())
        yield f"mysql://ganetimgr:maria-pw@127.0.0.1:{port}/ganetimgr"
    finally:
        server.terminate()
        server.wait(timeout=30)


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
