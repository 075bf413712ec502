"""A throw-away MariaDB server for the tests that need one (mariadb-server from scripts/setup.sh test)."""

import contextlib
import os
import shutil
import subprocess
import time
from pathlib import Path

from tests.helpers import free_port

__all__ = ["running_mariadb"]


@contextlib.contextmanager
def running_mariadb(directory: Path, *, password: str = "maria-pw"):
    """A MariaDB on a free loopback port with an empty utf8mb4 database `ganetimgr` owned by the user
    `ganetimgr`; yields (URL of that database for DATABASE_URL, the root client command line)."""
    if not shutil.which("mariadbd", path="/usr/sbin:/usr/bin"):
        raise AssertionError("mariadb-server is not installed: run scripts/setup.sh test")
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
    client = ["mariadb", "--no-defaults", f"--socket={directory}/sock", "-uroot"]
    try:
        setup = ["CREATE DATABASE ganetimgr CHARACTER SET utf8mb4",
                 f"CREATE USER 'ganetimgr'@'127.0.0.1' IDENTIFIED BY '{password}'",
                 "GRANT ALL ON *.* TO 'ganetimgr'@'127.0.0.1'"]  # *.*: Django's test runner creates its own DB
        for _ in range(200):
            done = subprocess.run([*client, "-e", "; ".join(setup)], capture_output=True)
            if done.returncode == 0:
                break
            time.sleep(0.05)
        else:
            raise AssertionError((directory / "server.log").read_text())
        yield f"mysql://ganetimgr:{password}@127.0.0.1:{port}/ganetimgr", client
    finally:
        server.terminate()
        server.wait(timeout=30)
