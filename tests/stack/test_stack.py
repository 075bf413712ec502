"""The production stack on loopback (tests/stack/stack.py): nginx in front of gunicorn, websockify, the
watcher, Redis, beanstalkd and PostgreSQL, with one simulated cluster whose instances have VNC screens.
Everything here goes through nginx, as a browser's requests do."""

import json
import os
import re
import ssl
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from requests.adapters import HTTPAdapter

from tests.console_services import vnc_network, websocket_first_frame
from tests.stack.stack import NGINX_SITE, StackError, nginx_site, start_stack

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.stack]

PASSWORD = "stack-alice-password"
RFB_BANNER = b"RFB 003.008\n"
# The address the audit test's requests come from: loopback, but not nginx's own 127.0.0.1.
CLIENT_ADDRESS = "127.0.0.77"
# A hashed file that collectstatic writes (its name in the manifest carries the content's hash).
STATIC_FILE = "ganetimgr/img/logo.svg"


@pytest.fixture(scope="module")
def stack(stack_workdir):
    with start_stack(stack_workdir, simulators={"sim": {"instances": 6, "owners": "alice", "seed": 3,
                                                        "vnc": vnc_network()}}) as running:
        running.create_user("alice", PASSWORD, email="alice@example.org")
        yield running
    # The end of the stack leaves nothing behind: no process, no database.
    assert [name for name, service in running.services.items() if service.running or service.leftovers()] == []
    database = urlsplit(running.env["DATABASE_URL"]).path.lstrip("/")
    with psycopg.connect(os.environ["DATABASE_URL"]) as connection:
        assert connection.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [database]).fetchone() == (0,)


@pytest.fixture(scope="module")
def alice_instances(stack):
    """{"owned", "running" (owned and running), "others"}: instance names as the simulator has them."""
    rows = stack.simulators["sim"].request("GET", "/2/instances?bulk=1")[1]
    owned = sorted(row["name"] for row in rows if "ganetimgr:user:alice" in row["tags"])
    running = [row["name"] for row in rows if row["name"] in owned and row["status"] == "running"]
    names = {"owned": owned, "running": running, "others": sorted(set(row["name"] for row in rows) - set(owned))}
    assert names["running"] and names["others"], rows
    return names


class SourceAddressAdapter(HTTPAdapter):
    """Connects from a chosen local address."""

    def __init__(self, address):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, source_address=(self.address, 0), **kwargs)


def log_in(stack, session):
    """Log alice in through the login form; returns the page the login lands on."""
    login_url = stack.url + "/user/login/"
    form = session.get(login_url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    return session.post(login_url, data={"csrfmiddlewaretoken": token, "username": "alice", "password": PASSWORD,
                                         "next": "/"}, headers={"Referer": login_url})


def console_token(stack, session, instance, **headers):
    """Ask for a console pass as the instance page's script does: the websocket URL it returns."""
    response = session.post(f"{stack.url}/instances/sim/{instance}/novnc-proxy/",
                            headers={"X-CSRFToken": session.cookies["csrftoken"], "Referer": stack.url + "/",
                                     **headers})
    assert response.status_code == 200, response.text
    return response.json()["url"]


def test_a_string_the_stack_replaces_missing_from_the_contrib_site_stops_it():
    site = NGINX_SITE.read_text().replace("listen 443 ssl http2;", "listen 443 ssl;")
    with pytest.raises(StackError, match="no longer contains 'listen 443 ssl http2;'"):
        nginx_site(site, [("listen 80;", "listen 127.0.0.1:8080;"),
                          ("listen 443 ssl http2;", "listen 127.0.0.1:8443 ssl http2;")])


def test_health_answers_over_plain_http_and_everything_else_moves_to_https(stack):
    session = stack.requests_session()
    health = session.get(stack.http_url + "/health/")
    assert health.status_code == 200
    assert health.json() == {"database": "ok", "cache": "ok", "queue": "ok", "status": "ok"}
    home = session.get(stack.http_url + "/", allow_redirects=False)
    assert home.status_code == 301
    assert urlsplit(home.headers["Location"])[:3] == ("https", "127.0.0.1", "/")


def test_the_login_page_comes_over_https_with_hsts_and_a_secure_csrf_cookie(stack):
    response = stack.requests_session().get(stack.url + "/user/login/")
    assert response.status_code == 200
    assert 'name="password"' in response.text
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    assert [cookie.secure for cookie in response.cookies if cookie.name == "csrftoken"] == [True]


def test_a_login_lands_on_the_instance_list_with_the_users_own_instances(stack, alice_instances):
    session = stack.requests_session()
    page = log_in(stack, session)
    assert page.status_code == 200
    assert page.url == stack.url + "/"
    assert [cookie.secure for cookie in session.cookies if cookie.name == "sessionid"] == [True]
    for name in alice_instances["owned"]:
        assert f"/instances/sim/{name}/" in page.text
    for name in alice_instances["others"]:
        assert f"/instances/sim/{name}/" not in page.text


def test_static_files_come_from_nginx_with_a_long_cache_lifetime(stack):
    manifest = json.loads((stack.dir / "static" / "staticfiles.json").read_text())
    hashed = manifest["paths"][STATIC_FILE]
    assert hashed != STATIC_FILE
    response = stack.requests_session().get(f"{stack.url}/static/{hashed}")
    assert response.status_code == 200
    assert response.content == (stack.dir / "static" / hashed).read_bytes()
    assert "immutable" in response.headers["Cache-Control"]
    # gunicorn logs every request it answers: this one never reached it.
    assert hashed not in stack.services["gunicorn"].log_path.read_text()


def test_the_audit_log_records_the_address_the_request_came_from(stack, alice_instances):
    instance = alice_instances["running"][0]
    session = stack.requests_session()
    session.mount("https://", SourceAddressAdapter(CLIENT_ADDRESS))
    log_in(stack, session)
    # A client's own X-Forwarded-For is not believed: nginx appends the address it saw, which counts.
    console_token(stack, session, instance, **{"X-Forwarded-For": "203.0.113.9"})
    addresses = stack.django(
        "from auditlog.models import AuditEntry\n"
        "entries = AuditEntry.objects.filter(instance_name=instance, action='console')\n"
        "result = list(entries.values_list('ip', flat=True))", instance=instance)
    assert addresses == [CLIENT_ADDRESS]


def test_the_console_websocket_goes_through_nginx_to_the_instances_screen(stack, alice_instances):
    instance = alice_instances["running"][-1]
    session = stack.requests_session()
    log_in(stack, session)
    websocket = urlsplit(console_token(stack, session, instance))
    assert (websocket.scheme, websocket.netloc, websocket.path) == ("wss", urlsplit(stack.url).netloc, "/websockify")
    tls = ssl._create_unverified_context()  # the stack's certificate is self-signed
    token = parse_qs(websocket.query)["token"][0]
    status, first = websocket_first_frame(websocket.port, f"/websockify?token={token}", tls=tls)
    assert status == "HTTP/1.1 101 Switching Protocols"
    assert first == RFB_BANNER


def test_pages_answer_again_once_a_killed_gunicorn_is_started(stack, alice_instances):
    assert stack.server_errors() == []
    session = stack.requests_session()
    log_in(stack, session)
    gunicorn = stack.services["gunicorn"]
    gunicorn.kill()
    assert not gunicorn.running
    assert session.get(stack.url + "/").status_code == 502
    gunicorn.start()
    page = session.get(stack.url + "/")
    assert page.status_code == 200
    # The login outlived the restart (sessions are in Redis and the database, not in a worker).
    assert f"/instances/sim/{alice_instances['owned'][0]}/" in page.text
    assert len(stack.server_errors()) == 1
