"""The web console in Debian's Chromium: the owner opens the console of a running simulated
instance from its page; noVNC connects through websockify (single-use token) to the simulator's RFB
server and paints its screen; Ctrl-Alt-Del, the sticky Ctrl key and paste-as-keystrokes reach the server;
disconnecting and connecting again works with a new token; a dead token store and an ended session are
said on the page."""

import re
import time

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import expect

from tests.console_services import start_websockify, vnc_network
from tests.helpers import free_port, log_in
from tests.simulator import start_simulator

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("empty_inventory")]

CANVAS_STATS = """() => {
  const c = document.querySelector('#console-screen canvas'); if (!c || !c.width) return null;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; const colours = new Set();
  for (let i = 0; i < d.length; i += 4 * 37) colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
  return {w: c.width, h: c.height, colours: colours.size};
}"""
CTRL_ALT_DEL = [[True, 0xFFE3], [True, 0xFFE9], [True, 0xFFFF], [False, 0xFFFF], [False, 0xFFE9], [False, 0xFFE3]]


@pytest.fixture(scope="module")
def vnc_sim(tmp_path_factory):
    with start_simulator(tmp_path_factory.mktemp("console-sim"), instances=3, owners="alice", seed=3,
                         vnc=vnc_network()) as sim:
        yield sim


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    with start_websockify(django_settings.CONSOLE_TOKEN_REDIS_URL, tmp_path_factory.mktemp("websockify")) as ws:
        yield ws


def key_events(sim, name):
    return sim.control("GET", "vnc")["screens"][name]["key_events"]


def wait_for_keys(sim, name, expected, timeout=10):
    deadline = time.monotonic() + timeout
    while key_events(sim, name)[-len(expected):] != expected:
        assert time.monotonic() < deadline, key_events(sim, name)
        time.sleep(0.05)


def test_the_owner_uses_the_console_of_a_running_instance(live_server, page, user, vnc_sim, proxy, cluster_on,
                                                          settings):
    settings.NOVNC_PROXY, settings.NOVNC_USE_TLS = f"127.0.0.1:{proxy.port}", False
    cluster_on(vnc_sim, "c1")
    rows = vnc_sim.request("GET", "/2/instances?bulk=1")[1]
    name = next(row["name"] for row in rows if "ganetimgr:user:alice" in row["tags"] and row["status"] == "running")

    log_in(page, live_server.url, "alice", "alice-secret-pw")
    page.goto(f"{live_server.url}/instances/c1/{name}/")
    page.locator("#instance-panel").get_by_role("link", name="Console").click()
    expect(page).to_have_url(re.compile(rf"/instances/c1/{re.escape(name)}/novnc/$"))
    page.wait_for_function("window.consoleState === 'connected'", timeout=15000)
    expect(page.locator("#console-status")).to_have_text(f"Connected to {name}.")
    page.wait_for_function(f"({CANVAS_STATS})() && ({CANVAS_STATS})().colours >= 5", timeout=10000)
    stats = page.evaluate(CANVAS_STATS)
    assert (stats["w"], stats["h"]) != (0, 0) and stats["colours"] >= 5, stats

    page.get_by_role("button", name="Ctrl-Alt-Del").click()
    wait_for_keys(vnc_sim, name, CTRL_ALT_DEL)

    ctrl = page.get_by_role("button", name="Ctrl", exact=True)
    ctrl.click()
    expect(ctrl).to_have_attribute("aria-pressed", "true")
    wait_for_keys(vnc_sim, name, [[True, 0xFFE3]])
    ctrl.click()
    expect(ctrl).to_have_attribute("aria-pressed", "false")
    wait_for_keys(vnc_sim, name, [[False, 0xFFE3]])

    page.fill("#console-paste", "ok")
    page.press("#console-paste", "Enter")
    wait_for_keys(vnc_sim, name, [[True, ord("o")], [False, ord("o")], [True, ord("k")], [False, ord("k")]])
    expect(page.locator("#console-paste")).to_have_value("")
    page.fill("#console-paste", "never sent")
    page.press("#console-paste", "Escape")
    expect(page.locator("#console-paste")).to_have_value("")

    page.get_by_role("button", name="Disconnect").click()
    page.wait_for_function("window.consoleState === 'disconnected'")
    expect(page.locator("#console-status")).to_have_text("Disconnected.")
    page.get_by_role("button", name="Connect", exact=True).click()
    page.wait_for_function("window.consoleState === 'connected'", timeout=15000)
    assert vnc_sim.control("GET", "vnc")["screens"][name]["connections"] == 2
    events = len(key_events(vnc_sim, name))
    time.sleep(0.3)
    assert len(key_events(vnc_sim, name)) == events, "Escape sent nothing"

    # The token store (Redis) is down: the page says so and Connect may be tried again.
    page.get_by_role("button", name="Disconnect").click()
    page.wait_for_function("window.consoleState === 'disconnected'")
    settings.CONSOLE_TOKEN_REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    connect = page.get_by_role("button", name="Connect", exact=True)
    connect.click()
    page.wait_for_function("window.consoleState === 'failed'")
    expect(page.locator("#console-status")).to_have_text(
        "The console could not be opened: The console service is not available right now. Try again in a "
        "moment; if it lasts, tell the administrators.")
    expect(connect).to_be_enabled()
    # The session ended (the login page answers the token request): the page says to log in again.
    page.context.clear_cookies(name=django_settings.SESSION_COOKIE_NAME)
    connect.click()
    page.wait_for_function("window.consoleState === 'failed'")
    expect(page.locator("#console-status")).to_have_text(
        "The console could not be opened: Your session has ended: reload the page and log in again.")
