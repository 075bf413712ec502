"""The grants against the real django-oauth-toolkit endpoints at /o/: authorization code with PKCE
(S256) and the implicit grant, consent on our translated page, revocation, refused grant types, the
application pages, CORS."""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from oauth2_provider.models import AccessToken, Application, Grant

from tests.api.conftest import REDIRECT_URI, bearer

pytestmark = [pytest.mark.django_db]

AUTHORIZE = "/o/authorize/"
TOKEN = "/o/token/"


def pkce_pair():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize(client, application, *, response_type="code", scope="read", challenge=None, allow=True):
    """GET the consent page, POST the user's answer; returns the redirect's Location."""
    params = {"response_type": response_type, "client_id": application.client_id, "redirect_uri": REDIRECT_URI,
              "scope": scope, "state": "st4te"}
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    page = client.get(AUTHORIZE, params)
    assert page.status_code == 200, page.content
    form = page.context["form"].initial
    data = {key: value for key, value in form.items() if value is not None}
    if allow:
        data["allow"] = "Authorize"
    answer = client.post(AUTHORIZE, data)
    assert answer.status_code == 302, answer.content
    return answer["Location"]


def refused(page) -> str:
    """The authorization endpoint's refusal: the error code it redirected with or showed."""
    if page.status_code == 302:
        assert "code=" not in page["Location"] and "access_token" not in page["Location"]
        return parse_qs(urlsplit(page["Location"]).query)["error"][0]
    assert page.status_code == 200 and page.context.get("error"), page.content
    return page.context["error"]["error"]


def exchange(code, application, verifier):
    """The client's side: no session, no CSRF token."""
    return Client().post(TOKEN, {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
                                 "client_id": application.client_id, "code_verifier": verifier})


def test_authorization_code_with_pkce_end_to_end(client, user, oauth_client):
    client.force_login(user)
    page = client.get(AUTHORIZE, {"response_type": "code", "client_id": oauth_client.client_id,
                                  "redirect_uri": REDIRECT_URI, "scope": "read write", "state": "st4te",
                                  "code_challenge": pkce_pair()[1], "code_challenge_method": "S256"})
    assert "Instance lister" in page.text
    assert "Read your instances and account details" in page.text
    assert "Start, stop and reboot your instances" in page.text

    verifier, challenge = pkce_pair()
    location = authorize(client, oauth_client, challenge=challenge)
    assert location.startswith(REDIRECT_URI + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["st4te"]
    answer = exchange(query["code"][0], oauth_client, verifier)
    assert answer.status_code == 200, answer.content
    tokens = answer.json()
    assert tokens["token_type"] == "Bearer" and tokens["scope"] == "read" and tokens["refresh_token"]
    details = Client().get("/user/details/", **bearer(tokens["access_token"]))
    assert details.json()["username"] == "alice"
    # Stored hashed: the database does not hold a usable token.
    assert not AccessToken.objects.filter(token=tokens["access_token"]).exists()

    # The refresh token gives a new access token.
    refreshed = Client().post(TOKEN, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                                      "client_id": oauth_client.client_id})
    assert refreshed.status_code == 200, refreshed.content
    assert Client().get("/user/details/", **bearer(refreshed.json()["access_token"])).status_code == 200


def test_a_wrong_verifier_and_a_missing_challenge_are_refused(client, user, oauth_client):
    client.force_login(user)
    _verifier, challenge = pkce_pair()
    code = parse_qs(urlsplit(authorize(client, oauth_client, challenge=challenge)).query)["code"][0]
    answer = exchange(code, oauth_client, pkce_pair()[0])
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
    # PKCE is required: without a challenge the client gets an error, not a code.
    page = client.get(AUTHORIZE, {"response_type": "code", "client_id": oauth_client.client_id,
                                  "redirect_uri": REDIRECT_URI, "scope": "read", "state": "s"})
    assert refused(page) == "invalid_request"


def test_implicit_grant_puts_the_token_in_the_fragment(client, user, oauth_client):
    implicit = Application.objects.create(
        name="Old client", user=oauth_client.user, client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_IMPLICIT, redirect_uris=REDIRECT_URI)
    client.force_login(user)
    location = authorize(client, implicit, response_type="token")
    fragment = parse_qs(urlsplit(location).fragment)
    assert fragment["token_type"] == ["Bearer"] and fragment["scope"] == ["read"] and fragment["state"] == ["st4te"]
    token = fragment["access_token"][0]
    answer = Client().get("/instances/list/", {"access_token": token})
    assert answer.status_code == 200
    assert answer.json()["user"]["username"] == "alice"


def test_implicit_grant_can_be_turned_off(client, user, oauth_client, settings):
    implicit = Application.objects.create(
        name="Old client", user=oauth_client.user, client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_IMPLICIT, redirect_uris=REDIRECT_URI)
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True}
    client.force_login(user)
    page = client.get(AUTHORIZE, {"response_type": "token", "client_id": implicit.client_id,
                                  "redirect_uri": REDIRECT_URI, "scope": "read"})
    assert refused(page) == "unauthorized_client"


def test_denied_consent_gives_no_code(client, user, oauth_client):
    client.force_login(user)
    location = authorize(client, oauth_client, challenge=pkce_pair()[1], allow=False)
    assert "error=access_denied" in location and "code=" not in location


def test_a_consent_posted_for_an_unknown_client_is_refused_on_the_page(client, user, oauth_client):
    """The consent form carries the client's id in a hidden field; one changed on the way names no client."""
    client.force_login(user)
    page = client.get(AUTHORIZE, {"response_type": "code", "client_id": oauth_client.client_id,
                                  "redirect_uri": REDIRECT_URI, "scope": "read", "state": "st4te",
                                  "code_challenge": pkce_pair()[1], "code_challenge_method": "S256"})
    data = {key: value for key, value in page.context["form"].initial.items() if value is not None}
    answer = client.post(AUTHORIZE, {**data, "client_id": "no-such-client", "allow": "Authorize"})
    assert answer.status_code == 200 and "No such client" in answer.content.decode()
    assert not Grant.objects.exists()


def test_anonymous_authorize_goes_to_the_login_page(client, oauth_client):
    answer = client.get(AUTHORIZE, {"response_type": "code", "client_id": oauth_client.client_id})
    assert answer.status_code == 302 and answer["Location"].startswith("/user/login/")


def test_a_revoked_token_answers_401(client, user, oauth_client, make_token):
    token = make_token(user)
    assert client.get("/user/details/", **bearer(token)).status_code == 200
    answer = Client().post("/o/revoke_token/", {"token": token, "client_id": oauth_client.client_id})
    assert answer.status_code == 200
    assert client.get("/user/details/", **bearer(token)).status_code == 401


def test_password_and_client_credentials_grants_are_refused(oauth_client):
    for grant, application in (("password", oauth_client), ("client_credentials", oauth_client)):
        Application.objects.filter(pk=application.pk).update(
            authorization_grant_type="password" if grant == "password" else "client-credentials")
        answer = Client().post(TOKEN, {"grant_type": grant, "username": "alice", "password": "alice-secret-pw",
                                       "client_id": oauth_client.client_id})
        assert answer.status_code in (400, 401), answer.content
        assert "access_token" not in answer.json()


def test_users_register_and_see_only_their_own_applications(client, user, oauth_client):
    client.force_login(user)
    page = client.get(reverse("oauth2_provider:register"))
    assert page.status_code == 200
    offered = {value for value, _label in page.context["form"].fields["authorization_grant_type"].choices}
    assert offered == {"authorization-code", "implicit"}
    form = page.context["form"]
    answer = client.post(reverse("oauth2_provider:register"), {
        "name": "My script", "client_id": form["client_id"].value(), "client_secret": form["client_secret"].value(),
        "client_type": "public", "authorization_grant_type": "authorization-code",
        "redirect_uris": "https://me.example.org/cb", "allowed_origins": ""})
    assert answer.status_code == 302, page.context["form"].errors
    mine = Application.objects.get(name="My script")
    assert mine.user == user
    listing = client.get(reverse("oauth2_provider:list"))
    assert "My script" in listing.text and "Instance lister" not in listing.text
    assert client.get(reverse("oauth2_provider:detail", args=[oauth_client.pk])).status_code == 404
    # An http:// redirect (other than loopback) is refused.
    answer = client.post(reverse("oauth2_provider:register"), {
        "name": "Plain", "client_id": "plain-client", "client_secret": "x" * 30, "client_type": "public",
        "authorization_grant_type": "implicit", "redirect_uris": "http://me.example.org/cb"})
    assert answer.status_code == 200 and not Application.objects.filter(name="Plain").exists()


def test_the_consent_page_is_translated(client, user, oauth_client, settings):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "el"
    page = client.get(AUTHORIZE, {"response_type": "code", "client_id": oauth_client.client_id,
                                  "redirect_uri": REDIRECT_URI, "scope": "read", "code_challenge": pkce_pair()[1],
                                  "code_challenge_method": "S256"})
    assert page.status_code == 200
    assert "Να επιτραπεί" in page.text


def test_cors_headers_for_allowed_origins_on_api_paths_only(client, user, make_token, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.org"]
    token = make_token(user)
    allowed = client.get("/user/details/", HTTP_ORIGIN="https://app.example.org", **bearer(token))
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.org"
    assert "Access-Control-Allow-Credentials" not in allowed
    other = client.get("/user/details/", HTTP_ORIGIN="https://evil.example.org", **bearer(token))
    assert "Access-Control-Allow-Origin" not in other
    preflight = client.options("/api/v1/instances/c1/x.example.org/reboot/", HTTP_ORIGIN="https://app.example.org",
                               HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                               HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization")
    assert preflight.status_code == 200
    assert "authorization" in preflight["Access-Control-Allow-Headers"]
    client.force_login(user)
    page = client.get("/", HTTP_ORIGIN="https://app.example.org")
    assert "Access-Control-Allow-Origin" not in page
