"""The OAuth2 API's done-criterion in Debian's Chromium: a user registers a public client at
/o/applications/, authorizes it on the consent page, and the client (here the test, without the user's
cookies) exchanges the code with its PKCE verifier at /o/token/ and lists the user's instances with and
without ?tag=. The client's https redirect URI is caught by Playwright's routing: no server is needed
there."""

import json
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest
from playwright.sync_api import expect

from tests.ganeti.instance_setup import PREFIX, set_tags, tags_of
from tests.helpers import log_in
from tests.oauth_browser import authorize_with_pkce, register_public_client

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("empty_inventory")]

REDIRECT_URI = "https://client.example.org/callback"


def call(url, *, data=None, token=None):
    """The client's own HTTP request (no browser, no session): (status, JSON body)."""
    request = Request(url, data=urlencode(data).encode() if data else None)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urlopen(request, timeout=20) as response:
        return response.status, json.loads(response.read())


def test_a_registered_client_gets_a_token_and_lists_the_users_instances(live_server, page, user, simulators,
                                                                        cluster_on):
    sim = simulators(instances=4, owners="alice,bob", seed=1)
    cluster_on(sim, "c1")
    rows = sim.request("GET", "/2/instances?bulk=1")[1]
    alices = sorted(row["name"] for row in rows if f"{PREFIX}:user:alice" in row["tags"])
    assert 1 < len(alices) < len(rows)
    set_tags(sim, alices[0], add=["web:frontend"])
    assert "web:frontend" in tags_of(sim, alices[0])

    log_in(page, live_server.url, "alice", "alice-secret-pw")
    page.goto(f"{live_server.url}/o/applications/")
    client_id = register_public_client(page, "Instance lister", REDIRECT_URI)

    def consent_names_the_client(consent):
        expect(consent.get_by_role("heading", name="Allow “Instance lister” to use your account?")).to_be_visible()

    verifier, redirected, query = authorize_with_pkce(page, live_server.url, client_id, REDIRECT_URI, state="st4te",
                                                      on_consent=consent_names_the_client)
    assert redirected.startswith(REDIRECT_URI + "?") and query["state"] == ["st4te"]

    status, tokens = call(f"{live_server.url}/o/token/", data={
        "grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": REDIRECT_URI,
        "client_id": client_id, "code_verifier": verifier})
    assert status == 200 and tokens["token_type"] == "Bearer" and tokens["scope"] == "read"
    token = tokens["access_token"]
    status, listed = call(f"{live_server.url}/instances/list/", token=token)
    assert status == 200
    assert listed["user"]["username"] == "alice"
    assert listed["response"] == {"instances": alices, "errors": False, "failed_clusters": []}
    status, tagged = call(f"{live_server.url}/instances/list/?" + urlencode({"tag": "web:frontend"}), token=token)
    assert status == 200 and tagged["response"]["instances"] == [alices[0]]
