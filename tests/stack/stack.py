"""The whole production stack on loopback, as real processes, for tests that go through nginx.

    with start_stack(tmp_path, simulators={"sim": {"instances": 4, "owners": "alice"}}) as stack:
        stack.create_user("alice", "secret", email="alice@example.org")
        session = stack.requests_session()
        session.get(stack.url + "/user/login/")

What runs: a database of its own on the with-services PostgreSQL server (stack_<hex>: a copy of a database
migrated once per test run; dropped at the end), its own redis-server and beanstalkd, gunicorn with contrib/gunicorn.conf.py (gevent
workers), the watcher(s), websockify with the console token plugin, and nginx in the foreground with the
site generated from contrib/nginx/ganetimgr.conf and a self-signed certificate. Mail goes to the
with-services SMTP sink. Every process runs in a process group of its own and is stopped by its PID.
KEEP_STACK=1 keeps stack.dir (the logs, the generated configuration) after the end.

stack.django(code, **values) runs code in `manage.py shell` with each value (JSON) as a variable and
returns what the code assigned to `result`, e.g.
    stack.django("from apply.models import InstanceApplication\n"
                 "result = InstanceApplication.objects.filter(status=s).count()",
                 s="success")
"""

from __future__ import annotations

import atexit
import contextlib
import datetime
import ipaddress
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import requests
import urllib3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from psycopg import sql

from tests.console_services import WEBSOCKIFY
from tests.helpers import PROJECT_DIR, PYTHON, free_port, port_open, run_manage
from tests.mail import Sink
from tests.simulator import start_simulator

__all__ = ["Service", "Stack", "StackError", "start_stack"]

NGINX = "/usr/sbin/nginx"
NGINX_SITE = PROJECT_DIR / "contrib" / "nginx" / "ganetimgr.conf"
GUNICORN = Path(PYTHON).with_name("gunicorn")
START_TIMEOUT = 60
WATCHER_READY = "connected to beanstalkd"
# Printed before the JSON of stack.django()'s result, so that other output cannot be mistaken for it.
RESULT_MARKER = "STACK-RESULT:"
# Runs the caller's code with the given values as variables, then prints `result` as JSON.
DJANGO_RUNNER = (
    "import json, os\n"
    "namespace = json.loads(os.environ['STACK_VALUES'])\n"
    "exec(os.environ['STACK_CODE'], namespace)\n"
    f"print({RESULT_MARKER!r} + json.dumps(namespace.get('result'), default=str))\n"
)
# Registers clusters: each of `clusters` pinned to its given fingerprint, or trusted on first use
# (the real testbed, as tests/testbed.py's testbed_cluster does).
REGISTER_CLUSTERS = """
from ganeti.models import Cluster
from ganeti.services import cluster_pin_certificate, cluster_save

for entry in clusters:
    cluster = cluster_save(cluster=Cluster(hostname=entry["host"], port=entry["port"], slug=entry["slug"],
                                           description=entry["description"], username=entry["username"],
                                           tls_fingerprint=entry["fingerprint"] or ""),
                           new_password=entry["password"])
    if not entry["fingerprint"]:
        cluster_pin_certificate(cluster=cluster)
result = len(clusters)
"""
CREATE_USER = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from ganetimgr.management.commands.demo_accounts import HELPDESK_PERMISSIONS

user = get_user_model().objects.create_user(username, email=email, password=password, is_active=True,
                                            is_staff=superuser, is_superuser=superuser)
if helpdesk:
    user.user_permissions.set([Permission.objects.get(content_type__app_label=app_label, codename=codename)
                               for app_label, codename in HELPDESK_PERMISSIONS])
result = user.pk
"""
ACCESS_LOG_STATUS = re.compile(r'" (\d{3}) ')


class StackError(Exception):
    """A service of the stack did not start or stop as it should; the message carries its log's end."""


def log_tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class Service:
    """One process of the stack, in a process group of its own, started and stopped by its PID."""

    def __init__(self, name: str, command: list[str], *, env: dict, log_path: Path, port: int | None = None,
                 ready_text: str | None = None):
        self.name, self.command, self.env, self.log_path = name, command, env, log_path
        self.port, self.ready_text = port, ready_text
        self.process: subprocess.Popen | None = None
        self.process_groups: set[int] = set()   # of every start, to find what a stop left behind
        self._log_offset = 0                    # the log's size at the last start: readiness is read after it

    def __repr__(self):
        return f"<Service {self.name} pid={self.process and self.process.pid} port={self.port}>"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start the same command (same port) and wait until it is ready: listening on its port, or (the
        watcher) ready_text written to its log after this start."""
        self.launch()
        self.wait_ready(timeout)

    def launch(self) -> None:
        """Start the process without waiting for it (wait_ready() does)."""
        if self.running:
            raise StackError(f"{self.name} is running already (pid {self.process.pid})")
        deadline = time.monotonic() + 10
        while self.port is not None and port_open(self.port):   # a killed predecessor's socket closing
            if time.monotonic() > deadline:
                raise StackError(f"{self.name}: port {self.port} is still taken")
            time.sleep(0.05)
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(self.command, cwd=PROJECT_DIR, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        self.process_groups.add(self.process.pid)

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Until the launched process is ready; StackError with the end of its log when it exits first or
        is not ready in time (then it is killed)."""
        deadline = time.monotonic() + timeout
        while not self._ready(self._log_offset):
            if self.process.poll() is not None:
                raise StackError(f"{self.name} exited with status {self.process.returncode} at start; "
                                 f"the end of {self.log_path}:\n{log_tail(self.log_path)}")
            if time.monotonic() > deadline:
                self.kill()
                raise StackError(f"{self.name} was not ready after {timeout} s; the end of {self.log_path}:\n"
                                 f"{log_tail(self.log_path)}")
            time.sleep(0.05)

    def _ready(self, log_offset: int) -> bool:
        if self.ready_text is not None:
            with self.log_path.open("rb") as log:
                log.seek(log_offset)
                return self.ready_text.encode() in log.read()
        return port_open(self.port)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        """Send sig to the process and wait for it; SIGKILL to its whole group after timeout, and to
        whatever of the group outlived it (a worker of a killed master)."""
        self.send_signal(sig)
        self.wait_stopped(sig, timeout)

    def send_signal(self, sig: int) -> None:
        if self.running:
            self.process.send_signal(sig)

    def wait_stopped(self, sig: int, timeout: float = 20) -> None:
        """Wait for the process to end after sig; then as stop()."""
        if self.process is None:
            return
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            print(f"stack: {self.name} (pid {self.process.pid}) ignored {signal.Signals(sig).name} "
                  f"for {timeout} s; killing it")
        self._kill_group()

    def kill(self) -> None:
        """SIGKILL to the process and its children (its process group), and wait."""
        if self.process is not None:
            self._kill_group()

    def restart(self) -> None:
        self.stop()
        self.start()

    def _kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        # The group's other members (orphaned workers) die a moment later; their sockets close then.
        deadline = time.monotonic() + 10
        while self.leftovers() and time.monotonic() < deadline:
            time.sleep(0.05)

    def leftovers(self) -> list[int]:
        """PIDs of live (not zombie) processes still in a process group this service started."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            state, group = fields[0], int(fields[2])
            if group in self.process_groups and state != "Z":
                found.append(int(stat.parent.name))
        return found


class Stack:
    """A running stack (see the module's docstring); made by start_stack()."""

    def __init__(self, directory: Path, env: dict, https_port: int, http_port: int, mail: Sink):
        self.dir = directory
        self.env = env
        self.url = f"https://127.0.0.1:{https_port}"
        self.http_url = f"http://127.0.0.1:{http_port}"
        self.mail = mail
        self.services: dict[str, Service] = {}
        self.simulators: dict = {}

    def add_service(self, name: str, command: list[str], *, port: int | None = None, ready_text: str | None = None,
                    env: dict | None = None, wait: bool = True) -> Service:
        """Start a service and keep it in stack.services; wait=False: call its wait_ready() later."""
        service = Service(name, command, env={**self.env, **(env or {})}, log_path=self.dir / f"{name}.log",
                          port=port, ready_text=ready_text)
        self.services[name] = service
        service.launch()
        if wait:
            service.wait_ready()
        return service

    def manage(self, *args, timeout: float = 120) -> subprocess.CompletedProcess:
        """manage.py *args with the stack's settings; StackError with its output when it fails."""
        result = run_manage(*args, env=self.env, timeout=timeout)
        if result.returncode != 0:
            raise StackError(f"manage.py {' '.join(args)} exited with {result.returncode}:\n"
                             f"{result.stdout}\n{result.stderr}")
        return result

    def django(self, code: str, **values) -> object:
        """Run code (with each of `values` as a variable) in `manage.py shell`; returns what it assigned to
        `result`, through JSON."""
        result = run_manage("shell", "--no-imports", "-c", DJANGO_RUNNER, timeout=120,
                            env={**self.env, "STACK_CODE": code, "STACK_VALUES": json.dumps(values)})
        if result.returncode != 0:
            raise StackError(f"stack.django failed ({result.returncode}):\n{code}\n{result.stdout}\n{result.stderr}")
        lines = [line for line in result.stdout.splitlines() if line.startswith(RESULT_MARKER)]
        return json.loads(lines[-1].removeprefix(RESULT_MARKER))

    def create_user(self, username: str, password: str, *, email: str, superuser: bool = False,
                    helpdesk: bool = False) -> int:
        """An active user; helpdesk: the demo helpdesk's permissions. Returns its id."""
        return self.django(CREATE_USER, username=username, password=password, email=email, superuser=superuser,
                           helpdesk=helpdesk)

    def server_errors(self) -> list[str]:
        """nginx access-log lines whose status is 500 or more (502 and 504 included)."""
        log = self.dir / "nginx-access.log"
        if not log.exists():
            return []
        return [line for line in log.read_text(errors="replace").splitlines()
                if (match := ACCESS_LOG_STATUS.search(line)) and int(match.group(1)) >= 500]

    def requests_session(self) -> requests.Session:
        """A session that accepts the stack's self-signed certificate."""
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        session = requests.Session()
        session.verify = False
        # Else REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE from the environment override verify=False, and a proxy
        # from it could sit between the test and the loopback stack.
        session.trust_env = False
        return session

    def stop(self) -> list[str]:
        """Stop every service, newest first; returns what could not be stopped (empty when all went)."""
        problems = []
        services = list(reversed(self.services.values()))
        # Every signal first, newest service first, then the waits: they shut down side by side.
        for service in services:
            service.send_signal(signal.SIGTERM)
        for service in services:
            service.wait_stopped(signal.SIGTERM)
            if left := service.leftovers():
                problems.append(f"{service.name}: processes {left} outlived it")
        return problems


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key, in PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                    x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "tls-cert.pem", directory / "tls-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


def nginx_site(template: str, replacements: list[tuple[str, str]]) -> str:
    """The contrib site with each (old, new) replaced everywhere; StackError when an old string is missing
    (the contrib file changed under the stack's feet)."""
    for old, new in replacements:
        if old not in template:
            raise StackError(f"{NGINX_SITE} no longer contains {old!r}: tests/stack/stack.py replaces it; "
                             "update one or the other")
        template = template.replace(old, new)
    return template


def write_nginx_config(directory: Path, *, http_port: int, https_port: int, gunicorn_port: int,
                       websockify_port: int, static_root: Path, cert: Path, key: Path) -> Path:
    template = NGINX_SITE.read_text()
    ipv6_listen = re.compile(r"^\s*listen \[::\].*\n", re.MULTILINE)
    if not ipv6_listen.search(template):
        raise StackError(f"{NGINX_SITE} has no 'listen [::]' lines any more: update tests/stack/stack.py")
    site = nginx_site(ipv6_listen.sub("", template), [
        ("127.0.0.1:8000", f"127.0.0.1:{gunicorn_port}"),
        ("127.0.0.1:6080", f"127.0.0.1:{websockify_port}"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("/etc/ssl/certs/ganetimgr.example.org.pem", str(cert)),
        ("/etc/ssl/private/ganetimgr.example.org.key", str(key)),
        ("server_name ganetimgr.example.org;", "server_name 127.0.0.1 localhost;"),
        ("/srv/ganetimgr/var/static/", f"{static_root}/"),
        ("/var/log/nginx/ganetimgr.", f"{directory}/nginx-"),
    ])
    (directory / "nginx-site.conf").write_text(site)
    temp = directory / "nginx-temp"
    temp.mkdir()
    user = "user root;\n" if os.geteuid() == 0 else ""
    main = directory / "nginx.conf"
    main.write_text(
        f"# Generated by tests/stack/stack.py around {NGINX_SITE.name}.\n{user}"
        f"daemon off;\nworker_processes 1;\npid {directory}/nginx.pid;\nerror_log stderr;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        "    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
        "    sendfile on;\n"
        f"    access_log {directory}/nginx-access.log;\n"
        + "".join(f"    {kind}_temp_path {temp}/{kind};\n"
                  for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        + f"    include {directory}/nginx-site.conf;\n"
        "}\n")
    return main


def process_env(overrides: dict) -> dict:
    """os.environ without pytest's own variables, with overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_ALLOW"))}
    env.update(overrides)
    return env


# Read once: a caller may point its own environment at a stack's database afterwards (bench/stack.py does).
_SERVER_DATABASE_URL = os.environ.get("DATABASE_URL", "")


def server_database_url() -> str:
    """The with-services PostgreSQL server's DATABASE_URL (its `ganetimgr` database)."""
    url = _SERVER_DATABASE_URL
    if not url.startswith(("postgres://", "postgresql://")):
        raise StackError("the stack needs the with-services PostgreSQL (DATABASE_URL): run it with make test")
    return url


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def create_database(name: str, *, template: str | None = None) -> None:
    server_url = server_database_url()
    statement = sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name),
                                                             sql.Identifier(urlsplit(server_url).username))
    if template:
        statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(statement)


def drop_database(name: str) -> None:
    with psycopg.connect(server_database_url(), autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# The migrated database of this test run that every stack copies (CREATE DATABASE ... TEMPLATE): the
# migrations run once per run, not once per stack.
_migrated_template: dict[str, str] = {}


def migrated_template(env: dict) -> str:
    """The name of this run's migrated template database (made and migrated on first use with env, dropped
    when the test process exits)."""
    if "name" not in _migrated_template:
        name = f"stack_template_{secrets.token_hex(4)}"
        create_database(name)
        result = run_manage("migrate", "--noinput", "-v", "0", timeout=600,
                            env={**env, "DATABASE_URL": with_database(server_database_url(), name)})
        if result.returncode != 0:
            drop_database(name)
            raise StackError(f"manage.py migrate exited with {result.returncode}:\n{result.stdout}\n{result.stderr}")
        atexit.register(drop_database, name)
        _migrated_template["name"] = name
    return _migrated_template["name"]


@contextlib.contextmanager
def stack_database(name: str, env: dict):
    """The stack's own database `name`, a copy of the migrated template; dropped at the end."""
    create_database(name, template=migrated_template(env))
    try:
        yield
    finally:
        drop_database(name)


@contextlib.contextmanager
def start_stack(workdir: Path, *, simulators: dict[str, dict] | None = None, real_ganeti=None, watchers: int = 1,
                gunicorn_workers: int = 2, env: dict[str, str] | None = None, beanstalk_binlog: bool = True):
    """The stack, up (see the module's docstring); everything stopped and the database dropped at the end.
    simulators: slug -> start_simulator options; real_ganeti: a tests.testbed.Testbed, registered as "real"."""
    directory = Path(tempfile.mkdtemp(prefix="stack-", dir=workdir))
    ports = {name: free_port() for name in ("redis", "beanstalkd", "gunicorn", "websockify", "http", "https")}
    sink = Sink(Path(os.environ["SMTP_SINK_MAILDIR"]))
    sink.clear()
    redis_url = f"redis://127.0.0.1:{ports['redis']}/0"
    database = f"stack_{secrets.token_hex(6)}"
    try:
        with contextlib.ExitStack() as cleanup:
            stack = Stack(directory, process_env({
                "DJANGO_SETTINGS_MODULE": "ganetimgr.settings",
                "DATABASE_URL": with_database(server_database_url(), database),
                "REDIS_URL": redis_url, "CONSOLE_TOKEN_REDIS_URL": redis_url,
                "BEANSTALK_URL": f"127.0.0.1:{ports['beanstalkd']}",
                "DEBUG": "off", "HTTPS": "on", "SECRET_KEY": secrets.token_urlsafe(40),
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{ports['https']},https://localhost:{ports['https']}",
                "SITE_URL": f"https://127.0.0.1:{ports['https']}",
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": os.environ["SMTP_SINK_HOST"], "EMAIL_PORT": os.environ["SMTP_SINK_PORT"],
                "GANETIMGR_VAR_DIR": str(directory / "var"), "STATIC_ROOT": str(directory / "static"),
                "WEBSOCK_VNC_ENABLED": "on", "NOVNC_PROXY": "",
                # A gevent worker still booting ignores SIGTERM until gunicorn kills it after this long.
                "GUNICORN_GRACEFUL_TIMEOUT": "5",
                "DATABASE_POOL_SIZE": "10",  # as settings.py.dist deploys it
                **(env or {}),
            }), ports["https"], ports["http"], sink)
            _start(stack, database, ports, simulators or {}, real_ganeti, watchers, gunicorn_workers,
                   beanstalk_binlog, cleanup)
            yield stack
    finally:
        if os.environ.get("KEEP_STACK") == "1":
            # Past pytest's capture: the point is to read it after the run.
            print(f"stack: KEEP_STACK=1, logs and configuration kept in {directory}", file=sys.__stderr__)
        else:
            shutil.rmtree(directory, ignore_errors=True)


def _stop_services(stack: Stack) -> None:
    problems = stack.stop()
    if problems:
        raise StackError("the stack left processes behind: " + "; ".join(problems))


def _start(stack: Stack, database: str, ports: dict, simulators: dict, real_ganeti, watchers: int,
           gunicorn_workers: int, beanstalk_binlog: bool, cleanup: contextlib.ExitStack) -> None:
    directory = stack.dir
    # collectstatic needs no database: it runs while the database is made (and the template migrated).
    collect = subprocess.Popen([PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=PROJECT_DIR,
                               env=stack.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    cleanup.callback(collect.kill)
    cleanup.enter_context(stack_database(database, stack.env))
    # Stopped before the database is dropped, after the simulators (entered later, left earlier).
    cleanup.callback(_stop_services, stack)
    stack.add_service("redis", ["redis-server", "--port", str(ports["redis"]), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--daemonize", "no", "--dir", str(directory)],
                      port=ports["redis"])
    binlog = []
    if beanstalk_binlog:
        (directory / "beanstalkd-binlog").mkdir()
        binlog = ["-b", str(directory / "beanstalkd-binlog")]
    stack.add_service("beanstalkd", ["beanstalkd", "-l", "127.0.0.1", "-p", str(ports["beanstalkd"]), *binlog],
                      port=ports["beanstalkd"])
    for slug, options in simulators.items():
        simulator = cleanup.enter_context(start_simulator(directory, **options))
        stack.simulators[slug] = simulator
    clusters = [{"slug": slug, "host": "127.0.0.1", "port": sim.port, "description": f"Simulated cluster {slug}",
                 "username": "writer", "password": sim.users["writer"][0], "fingerprint": sim.fingerprint}
                for slug, sim in stack.simulators.items()]
    if real_ganeti is not None:
        clusters.append({"slug": "real", "host": real_ganeti.host, "port": real_ganeti.port,
                         "description": "The real Ganeti testbed", "username": real_ganeti.username,
                         "password": real_ganeti.password, "fingerprint": None})
    if clusters:
        stack.django(REGISTER_CLUSTERS, clusters=clusters)
    output, _ = collect.communicate(timeout=300)
    if collect.returncode != 0:
        raise StackError(f"collectstatic exited with {collect.returncode}:\n{output}")
    # These start in parallel (each takes seconds to import Django); nginx only needs their ports.
    cert, key = self_signed_certificate(directory)
    main = write_nginx_config(directory, http_port=ports["http"], https_port=ports["https"],
                              gunicorn_port=ports["gunicorn"], websockify_port=ports["websockify"],
                              static_root=Path(stack.env["STATIC_ROOT"]), cert=cert, key=key)
    stack.add_service("gunicorn", [str(GUNICORN), "-c", "contrib/gunicorn.conf.py", "ganetimgr.wsgi:application"],
                      port=ports["gunicorn"], wait=False,
                      env={"GUNICORN_BIND": f"127.0.0.1:{ports['gunicorn']}",
                           "GUNICORN_WORKERS": str(gunicorn_workers)})
    for number in range(1, watchers + 1):
        stack.add_service("watcher" if number == 1 else f"watcher-{number}", [PYTHON, "watcher.py"],
                          ready_text=WATCHER_READY, wait=False)
    stack.add_service("websockify", [str(WEBSOCKIFY), "--token-plugin", "ganeti.console_tokens.SingleUseRedis",
                                     "--token-source", stack.env["CONSOLE_TOKEN_REDIS_URL"],
                                     f"127.0.0.1:{ports['websockify']}"],
                      port=ports["websockify"], env={"PYTHONPATH": str(PROJECT_DIR)}, wait=False)
    stack.add_service("nginx", [NGINX, "-p", f"{directory}/", "-e", "stderr", "-c", str(main)], port=ports["https"],
                      wait=False)
    for service in stack.services.values():
        service.wait_ready()
