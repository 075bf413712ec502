"""The web console's server side: who gets a console token, what the page says when there is no
VNC console, and the token's life in websockify (real Redis, real websockify with our plugin, the
simulator's RFB servers): it opens one connection, once, and only while it lives."""

import json
import time
from urllib.parse import parse_qs, urlsplit

import logging

import pytest
import redis
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from auditlog.models import AuditEntry
from ganeti import console_tokens
from tests.console_services import start_websockify, vnc_network, websocket_first_frame
from tests.helpers import free_port
from tests.simulator import start_simulator

pytestmark = [pytest.mark.integration, pytest.mark.django_db, pytest.mark.usefixtures("empty_inventory")]
RFB_BANNER = b"RFB 003.008\n"


@pytest.fixture(scope="module")
def vnc_sim(tmp_path_factory):
    """6 instances with VNC screens; alice owns inst1, inst3, inst5 (inst5 also group 'staff')."""
    with start_simulator(tmp_path_factory.mktemp("console-sim"), instances=6, owners="alice", owner_groups="staff",
                         seed=3, vnc=vnc_network()) as sim:
        yield sim


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    with start_websockify(django_settings.CONSOLE_TOKEN_REDIS_URL, tmp_path_factory.mktemp("websockify")) as ws:
        yield ws


@pytest.fixture
def cluster(vnc_sim, cluster_on):
    return cluster_on(vnc_sim, "c1")


@pytest.fixture
def roles(django_user_model, user):
    """owner (alice), other, helpdesk, anonymous. Only alice has a password (the others log in with
    force_login), so no password is hashed for them."""
    helpdesk = django_user_model.objects.create_user("hal")
    helpdesk.user_permissions.add(Permission.objects.get(codename="view_instances"))
    return {"owner": user, "other": django_user_model.objects.create_user("oscar"), "helpdesk": helpdesk,
            "anonymous": None}


def alice_instances(sim, running=True):
    rows = sim.request("GET", "/2/instances?bulk=1")[1]
    return sorted(row["name"] for row in rows if "ganetimgr:user:alice" in row["tags"]
                  and (row["status"] == "running") == running)


def client_for_role(client, roles, role):
    if roles[role] is not None:
        client.force_login(roles[role])
    return client


def token_url(name):
    return reverse("ganeti:instance_console_token", args=["c1", name])


def page_url(name):
    return reverse("ganeti:instance_console", args=["c1", name])


def set_hvparams(sim, name, **hvparams):
    job = sim.run_job("PUT", f"/2/instances/{name}/modify", {"hvparams": hvparams})
    assert job["status"] == "success", job


def test_a_token_opens_one_connection_to_the_instances_screen(client, roles, cluster, vnc_sim, proxy):
    name = alice_instances(vnc_sim)[0]
    client.force_login(roles["owner"])
    response = client.post(token_url(name))
    assert response.status_code == 200, response.content
    answer = response.json()
    url = urlsplit(answer["url"])
    assert url.scheme == "ws" and url.netloc == "testserver" and url.path == "/websockify"
    assert answer["expires_in"] == django_settings.CONSOLE_TOKEN_SECONDS
    token = parse_qs(url.query)["token"][0]
    stored = redis.Redis.from_url(django_settings.CONSOLE_TOKEN_REDIS_URL).get(console_tokens.KEY_PREFIX + token)
    screen = vnc_sim.control("GET", "vnc")["screens"][name]
    assert json.loads(stored)["host"] == "%s:%d" % (screen["address"], screen["port"])

    status, first = websocket_first_frame(proxy.port, f"/websockify?token={token}")
    assert status == "HTTP/1.1 101 Switching Protocols" and first == RFB_BANNER
    # the same token again: websockify finds nothing and closes
    assert websocket_first_frame(proxy.port, f"/websockify?token={token}")[1] is None
    entry = AuditEntry.objects.get(instance_name=name, action="console")
    assert entry.requester == roles["owner"] and entry.authorized


def test_a_token_is_refused_after_its_lifetime(client, roles, cluster, vnc_sim, proxy, settings):
    settings.CONSOLE_TOKEN_SECONDS = 1
    name = alice_instances(vnc_sim)[0]
    client.force_login(roles["owner"])
    fresh = parse_qs(urlsplit(client.post(token_url(name)).json()["url"]).query)["token"][0]
    stale = parse_qs(urlsplit(client.post(token_url(name)).json()["url"]).query)["token"][0]
    assert websocket_first_frame(proxy.port, f"/websockify?token={fresh}")[1] == RFB_BANNER
    time.sleep(1.6)
    assert websocket_first_frame(proxy.port, f"/websockify?token={stale}")[1] is None
    assert websocket_first_frame(proxy.port, "/websockify?token=made-up")[1] is None


@pytest.mark.parametrize("role, status, code", [
    ("other", 404, "not_found"), ("helpdesk", 403, "forbidden"), ("anonymous", 302, None),
])
def test_only_those_who_may_operate_it_get_a_token(client, roles, cluster, vnc_sim, role, status, code):
    name = alice_instances(vnc_sim)[0]
    response = client_for_role(client, roles, role).post(token_url(name))
    assert response.status_code == status
    if code:
        assert response.json()["error"]["code"] == code
    assert client.post(token_url("ghost.ganeti.test")).status_code in (302, 404)
    if role == "helpdesk":
        assert AuditEntry.objects.get(instance_name=name, action="console").authorized is False
    page = client.get(page_url(name))
    assert page.status_code == {"other": 404, "helpdesk": 403, "anonymous": 302}[role]


def test_get_is_not_allowed_on_the_token_url(client, roles, cluster, vnc_sim):
    client.force_login(roles["owner"])
    assert client.get(token_url(alice_instances(vnc_sim)[0])).status_code == 405


def test_the_token_post_needs_the_csrf_token(roles, cluster, vnc_sim):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(roles["owner"])
    name = alice_instances(vnc_sim)[0]
    assert browser.post(token_url(name)).status_code == 403
    browser.get(page_url(name))  # sets the CSRF cookie, as the page does for its script
    csrf = browser.cookies[django_settings.CSRF_COOKIE_NAME].value
    assert browser.post(token_url(name), HTTP_X_CSRFTOKEN=csrf).status_code == 200


def test_a_dead_token_store_answers_503_and_says_so(client, roles, cluster, vnc_sim, settings, caplog):
    settings.CONSOLE_TOKEN_REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    name = alice_instances(vnc_sim)[0]
    client.force_login(roles["owner"])
    with caplog.at_level(logging.ERROR, logger="ganeti.views.console"):
        response = client.post(token_url(name))
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "token_store" and "not available right now" in error["message"]
    assert "127.0.0.1" not in error["message"]  # the store's address is for the operators' log
    assert "console token store unreachable" in caplog.text and name in caplog.text
    assert not AuditEntry.objects.filter(instance_name=name, action="console").exists()


def test_the_owner_gets_the_console_page_with_its_buttons(client, roles, cluster, vnc_sim):
    name = alice_instances(vnc_sim)[0]
    client.force_login(roles["owner"])
    page = client.get(page_url(name)).content.decode()
    for text in ("Connect", "Disconnect", "Ctrl-Alt-Del", "Paste as keystrokes", "Scale to fit",
                 'data-token-url="%s"' % token_url(name), "novnc-1.7.0/core/rfb.js", "console.js"):
        assert text in page
    detail = client.get(reverse("ganeti:instance_detail", args=["c1", name])).content.decode()
    assert page_url(name) in detail


def test_a_stopped_instance_has_no_console(client, roles, cluster, vnc_sim):
    stopped = alice_instances(vnc_sim, running=False)
    if not stopped:
        name = alice_instances(vnc_sim)[-1]
        vnc_sim.run_job("PUT", f"/2/instances/{name}/shutdown", {})
    else:
        name = stopped[0]
    client.force_login(roles["owner"])
    response = client.post(token_url(name))
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_running"
    page = client.get(page_url(name)).content.decode()
    assert "is not running, so it has no console" in page
    assert reverse("ganeti:instance_startup", args=["c1", name]) in page
    assert 'id="console"' not in page
    detail = client.get(reverse("ganeti:instance_detail", args=["c1", name])).content.decode()
    assert page_url(name) not in detail


def test_a_serial_console_or_none_is_said_instead_of_failing(client, roles, cluster, vnc_sim):
    name = alice_instances(vnc_sim)[0]
    client.force_login(roles["owner"])
    try:
        set_hvparams(vnc_sim, name, vnc_bind_address="", serial_console=True)
        page = client.get(page_url(name))
        assert page.status_code == 200
        text = page.content.decode()
        assert "serial console only" in text and "kvm-console-wrapper" in text and 'id="console"' not in text
        response = client.post(token_url(name))
        assert response.status_code == 409 and response.json()["error"]["code"] == "no_vnc"

        set_hvparams(vnc_sim, name, serial_console=False)  # no VNC, no serial: Ganeti's message
        assert "No serial shell for instance" in client.get(page_url(name)).content.decode()
    finally:
        set_hvparams(vnc_sim, name, vnc_bind_address="0.0.0.0", serial_console=False)


def test_console_answer_503_and_a_failing_cluster_are_said(client, roles, cluster, vnc_sim):
    name = alice_instances(vnc_sim)[0]
    client.force_login(roles["owner"])
    try:
        set_hvparams(vnc_sim, name, vnc_bind_address="")  # so the view asks /console
        vnc_sim.set_faults(mode="error503", paths="/console$")
        page = client.get(page_url(name))
        assert page.status_code == 200 and "offers no VNC console" in page.content.decode()
        assert client.post(token_url(name)).json()["error"]["code"] == "no_vnc"
        vnc_sim.set_faults(mode="error502", paths="/console$")
        page = client.get(page_url(name))
        assert page.status_code == 503 and "does not answer now" in page.content.decode()
        response = client.post(token_url(name))
        assert response.status_code == 502 and response.json()["error"]["code"] == "cluster_error"
    finally:
        vnc_sim.set_faults(mode=None, paths=None)
        set_hvparams(vnc_sim, name, vnc_bind_address="0.0.0.0")


def test_novnc_proxy_setting_names_the_websocket_host(client, roles, cluster, vnc_sim, settings):
    settings.NOVNC_PROXY, settings.NOVNC_USE_TLS = "console.example.org:8443", True
    client.force_login(roles["owner"])
    url = client.post(token_url(alice_instances(vnc_sim)[0])).json()["url"]
    assert url.startswith("wss://console.example.org:8443/websockify?token=")


def test_console_turned_off(client, roles, cluster, vnc_sim, settings):
    settings.WEBSOCK_VNC_ENABLED = False
    name = alice_instances(vnc_sim)[0]
    client.force_login(roles["owner"])
    assert client.get(page_url(name)).status_code == 404
    assert client.post(token_url(name)).status_code == 404
    assert page_url(name) not in client.get(reverse("ganeti:instance_detail", args=["c1", name])).content.decode()
