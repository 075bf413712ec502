"""The production files under contrib/ and settings.py.dist, checked by the tools that will read them:
nginx, logrotate, systemd, gunicorn and ganetimgr itself against the test services."""

import configparser
import getpass
import grp
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.helpers import PROJECT_DIR, free_port, port_open, run_manage
from tests.settings_dist import deploy_env, filled_settings

INSTALLED_AT = "/srv/ganetimgr"
SYSTEMD_DIR = PROJECT_DIR / "contrib/systemd"
UNITS = sorted(SYSTEMD_DIR.glob("*.service"))


def nginx_config(tmp_path, *, http_port: int = 80, https_port: int = 443, static_root: str = "") -> Path:
    """A main nginx.conf (what Debian's gives a site, every file nginx writes under tmp_path) including
    contrib/nginx/ganetimgr.conf with a throw-away certificate, its logs in tmp_path, and optionally its
    ports on 127.0.0.1 and its static files elsewhere."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=ganetimgr.example.org", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", tmp_path / "site.key", "-out", tmp_path / "site.pem"], check=True, capture_output=True)
    site = (PROJECT_DIR / "contrib/nginx/ganetimgr.conf").read_text()
    replacements = [("/etc/ssl/certs/ganetimgr.example.org.pem", str(tmp_path / "site.pem")),
                    ("/etc/ssl/private/ganetimgr.example.org.key", str(tmp_path / "site.key")),
                    ("/var/log/nginx/", f"{tmp_path}/")]
    if http_port != 80:
        replacements += [("listen 80;", f"listen 127.0.0.1:{http_port};"), ("listen [::]:80;", ""),
                         ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
                         ("listen [::]:443 ssl http2;", "")]
    if static_root:
        replacements.append(("/srv/ganetimgr/var/static/", static_root))
    for shipped, moved in replacements:
        assert shipped in site, shipped
        site = site.replace(shipped, moved)
    (tmp_path / "ganetimgr.conf").write_text(site)
    temp_paths = "".join(f"    {kind}_temp_path {tmp_path}/{kind};\n"
                         for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # As root, nginx's workers would run as nobody, who cannot read tmp_path.
    workers_user = "user root;\n" if os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(f"""{workers_user}pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {tmp_path}/access.log;
{temp_paths}    include {tmp_path}/ganetimgr.conf;
}}
""")
    return tmp_path / "nginx.conf"


def nginx(tmp_path, config: Path, *options) -> list[str]:
    return ["nginx", "-p", str(tmp_path), "-c", str(config), "-e", str(tmp_path / "error.log"), *options]


def test_nginx_loads_the_site(tmp_path):
    result = subprocess.run(nginx(tmp_path, nginx_config(tmp_path), "-t"), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    assert "[warn]" not in result.stderr, result.stderr


def test_nginx_lets_browsers_keep_only_the_hashed_static_files(tmp_path):
    static = tmp_path / "static"
    (static / "vendor").mkdir(parents=True)
    (static / "vendor/rfb.js").write_text("export default 1;\n")  # imported by this very name
    (static / "vendor/rfb.0123456789ab.js").write_text("export default 1;\n")  # collectstatic's hashed copy
    http_port, https_port = free_port(), free_port()
    config = nginx_config(tmp_path, http_port=http_port, https_port=https_port, static_root=f"{static}/")
    server = subprocess.Popen(nginx(tmp_path, config, "-g", "daemon off;"), stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(300):
            assert server.poll() is None, server.stderr.read()
            if port_open(https_port):
                break
            time.sleep(0.1)
        fetch = {name: requests.get(f"https://127.0.0.1:{https_port}/static/vendor/{name}", timeout=10,
                                    verify=tmp_path / "site.pem", headers={"Host": "ganetimgr.example.org"})
                 for name in ("rfb.js", "rfb.0123456789ab.js")}
        assert fetch["rfb.js"].status_code == 200 and fetch["rfb.js"].headers["Cache-Control"] == "max-age=3600"
        hashed = fetch["rfb.0123456789ab.js"]
        assert hashed.status_code == 200 and hashed.text == "export default 1;\n"
        assert hashed.headers["Cache-Control"] == "max-age=31536000, public, immutable"
        redirect = requests.get(f"http://127.0.0.1:{http_port}/static/vendor/rfb.js", allow_redirects=False,
                                headers={"Host": "ganetimgr.example.org"}, timeout=10)
        assert redirect.status_code == 301
        assert redirect.headers["Location"] == "https://ganetimgr.example.org/static/vendor/rfb.js"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_nginx_site_agrees_with_the_other_files():
    site = (PROJECT_DIR / "contrib/nginx/ganetimgr.conf").read_text()
    dist = (PROJECT_DIR / "settings.py.dist").read_text()
    gunicorn = (PROJECT_DIR / "contrib/gunicorn.conf.py").read_text()
    websockify = (SYSTEMD_DIR / "ganetimgr-websockify.service").read_text()
    static_root = re.search(r'^STATIC_ROOT = "(.+)"', dist, re.M).group(1)
    assert f"alias {static_root}/;" in site
    assert '"GUNICORN_BIND", "127.0.0.1:8000"' in gunicorn and "server 127.0.0.1:8000;" in site
    assert "127.0.0.1:6080'" in websockify and "server 127.0.0.1:6080;" in site
    assert "location /websockify" in site and 'NOVNC_PATH = "websockify"' in dist


def test_logrotate_rotates_gunicorn_logs_and_leaves_nginx_to_debian(tmp_path):
    shipped = (PROJECT_DIR / "contrib/logrotate/ganetimgr").read_text()
    assert "/var/log/ganetimgr/*.log {" in shipped and "su ganetimgr ganetimgr" in shipped
    # The service user's place taken by whoever runs the test; the logs in tmp_path.
    config = shipped.replace("/var/log/ganetimgr/", f"{tmp_path}/logs/")
    config = config.replace("su ganetimgr ganetimgr", f"su {getpass.getuser()} {grp.getgrgid(os.getgid()).gr_name}")
    (tmp_path / "logrotate.conf").write_text(config)
    (tmp_path / "logs").mkdir(mode=0o755)
    (tmp_path / "logs/access.log").write_text('127.0.0.1 - - [07/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200\n')
    state = ["-s", str(tmp_path / "state")]

    dry = subprocess.run(["logrotate", "-d", *state, str(tmp_path / "logrotate.conf")],
                         capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    assert "error:" not in dry.stderr, dry.stderr
    assert f"rotating pattern: {tmp_path}/logs/*.log" in dry.stderr

    forced = subprocess.run(["logrotate", "-f", *state, str(tmp_path / "logrotate.conf")],
                            capture_output=True, text=True)
    assert forced.returncode == 0, forced.stderr  # the postrotate signal is harmless without a running service
    assert (tmp_path / "logs/access.log.1").read_text().endswith('"GET / HTTP/1.1" 200\n')
    assert not (tmp_path / "logs/access.log").exists()  # gunicorn makes it anew when USR1 reopens it

    debian_nginx = Path("/etc/logrotate.d/nginx")
    if not debian_nginx.exists():
        pytest.fail("nginx is not installed: run scripts/setup.sh test")
    assert "/var/log/nginx/*.log" in debian_nginx.read_text()
    site = (PROJECT_DIR / "contrib/nginx/ganetimgr.conf").read_text()
    assert set(re.findall(r"_log (/\S+);", site)) == {"/var/log/nginx/ganetimgr.access.log",
                                                      "/var/log/nginx/ganetimgr.error.log"}


def test_systemd_units_verify(tmp_path):
    """systemd-analyze verify on the units as installed, the checkout standing in for /srv/ganetimgr."""
    if not shutil.which("systemd-analyze"):
        pytest.fail("systemd-analyze is missing (Debian's systemd package)")
    for unit in [*UNITS, SYSTEMD_DIR / "ganetimgr.target"]:
        (tmp_path / unit.name).write_text(unit.read_text().replace(INSTALLED_AT, str(PROJECT_DIR)))
    result = subprocess.run(["systemd-analyze", "verify", *sorted(str(p) for p in tmp_path.iterdir())],
                            capture_output=True, text=True, env={**os.environ, "SYSTEMD_LOG_LEVEL": "notice"})
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


@pytest.mark.parametrize("unit", UNITS, ids=lambda path: path.name)
def test_systemd_unit_runs_files_of_the_checkout(unit):
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read_string(unit.read_text())
    service = parser["Service"]
    assert service["WorkingDirectory"] == INSTALLED_AT
    assert service["User"] == "ganetimgr" and service["EnvironmentFile"] == "-/etc/ganetimgr/env"
    command = service["ExecStart"]
    paths = re.findall(rf"{INSTALLED_AT}/(\S+)", command)
    paths += [arg for arg in command.split() if arg.endswith(".py")]
    plugins = re.findall(r"--token-plugin (\S+)", command)
    paths += [plugin.rsplit(".", 1)[0].replace(".", "/") + ".py" for plugin in plugins]
    assert paths, command
    for path in paths:
        installed = PROJECT_DIR / path.strip("'\"")
        assert installed.exists(), f"{unit.name}: {path} is not in the checkout"
    # Only var/ of the checkout is writable, and that is where the dist puts the key and static files.
    assert service["ProtectSystem"] == "strict"
    if "ReadWritePaths" in service:
        assert service["ReadWritePaths"] == f"{INSTALLED_AT}/var"
    assert parser["Unit"]["PartOf"] == "ganetimgr.target" and parser["Install"]["WantedBy"] == "ganetimgr.target"


def test_gunicorn_config_loads_with_gevent_workers(project_env):
    result = subprocess.run([str(PROJECT_DIR / ".venv/bin/gunicorn"), "-c", "contrib/gunicorn.conf.py",
                             "--print-config", "ganetimgr.wsgi:application"],
                            cwd=PROJECT_DIR, env=project_env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    config = dict(re.findall(r"^(\w+)\s+= (.*)$", result.stdout, re.M))
    assert config["worker_class"] == "gevent"
    assert config["bind"] == "['127.0.0.1:8000']"
    check = subprocess.run([str(PROJECT_DIR / ".venv/bin/gunicorn"), "-c", "contrib/gunicorn.conf.py",
                            "--check-config", "ganetimgr.wsgi:application"],
                           cwd=PROJECT_DIR, env=project_env, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr


def test_filled_settings_dist_passes_check_deploy_and_preflight(project_env, tmp_path):
    settings_file = tmp_path / "settings.py"
    settings_file.write_text(filled_settings(tmp_path, os.environ["DATABASE_URL"]))
    env = deploy_env(project_env, settings_file)

    check = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.startswith("System check identified no issues"), check.stdout
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600  # generated where the dist says

    preflight = run_manage("preflight", env=env)
    assert preflight.returncode == 0, preflight.stderr
    assert preflight.stdout.splitlines() == [
        f"database: ok (postgresql 127.0.0.1:{urlsplit(os.environ['DATABASE_URL']).port}/ganetimgr)",
        f"cache: ok ({os.environ['REDIS_URL']})",
        f"queue: ok ({os.environ['BEANSTALK_URL']} tube ganetimgr)",
    ]


def test_settings_dist_with_one_value_left_unfilled_is_refused_by_name(project_env, tmp_path):
    text = filled_settings(tmp_path, os.environ["DATABASE_URL"])
    settings_file = tmp_path / "settings.py"
    settings_file.write_text(text.replace('SITE_URL = "https://ganetimgr.example.org"',
                                          'SITE_URL = "https://FILL-IN: ganetimgr.example.org"'))
    result = run_manage("preflight", env=deploy_env(project_env, settings_file))
    assert result.returncode == 2
    assert result.stderr.strip() == ("ganetimgr: configuration error: replace the FILL-IN values in your local "
                                     "settings: SITE_URL")


def test_gunicorn_logs_the_forwarded_client_and_reopens_its_log_on_usr1(project_env, tmp_path):
    """What logrotate's postrotate relies on: USR1 makes gunicorn write to a new file at the same path."""
    port = free_port()
    log = tmp_path / "access.log"
    env = {**project_env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "1",
           "GUNICORN_ACCESS_LOG": str(log)}
    server = subprocess.Popen([str(PROJECT_DIR / ".venv/bin/gunicorn"), "-c", "contrib/gunicorn.conf.py",
                               "ganetimgr.wsgi:application"], cwd=PROJECT_DIR, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def logged_request(path: Path) -> str:
            """GET /health/ as nginx would pass it on, until its line is in `path`."""
            for _ in range(600):
                assert server.poll() is None, "gunicorn stopped"
                if port_open(port):
                    requests.get(f"http://127.0.0.1:{port}/health/", headers={"X-Forwarded-For": "203.0.113.7"},
                                 timeout=30)
                    if path.exists() and path.read_text():
                        return path.read_text()
                time.sleep(0.1)
            raise AssertionError(f"nothing logged to {path}")

        first = logged_request(log).splitlines()[0]
        assert first.startswith("127.0.0.1 203.0.113.7 - [") and '"GET /health/ HTTP/1.1" 200 ' in first
        log.rename(tmp_path / "access.log.1")
        server.send_signal(signal.SIGUSR1)
        assert "203.0.113.7" in logged_request(log)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_readme_deploying_names_files_and_commands_that_exist(project_env):
    readme = (PROJECT_DIR / "README.md").read_text()
    deploying = readme[readme.index("## Deploying"):readme.index("## Development")]
    paths = set(re.findall(r"(contrib/[\w./*-]*[\w*])", deploying))
    assert {"contrib/nginx/ganetimgr.conf", "contrib/logrotate/ganetimgr", "contrib/systemd/ganetimgr*"} <= paths
    for path in paths:
        assert list(PROJECT_DIR.glob(path)), f"README names {path}, which is not in the checkout"
    commands = set(re.findall(r"^gm (\w+)", deploying, re.M)) | set(re.findall(r"manage\.py (\w+)", deploying))
    assert {"migrate", "collectstatic", "import_old_ganetimgr", "refresh_cluster_instances"} <= commands
    listed = run_manage("help", "--commands", env=project_env)
    assert listed.returncode == 0, listed.stderr
    assert commands <= set(listed.stdout.split()), sorted(commands - set(listed.stdout.split()))
