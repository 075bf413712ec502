"""OAuth2 steps a user takes in the browser (Playwright), shared by the browser and the stack tests."""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

from playwright.sync_api import Page, expect


def register_public_client(page: Page, name: str, redirect_uri: str) -> str:
    """From the user's "API applications" page: a public authorization-code client; its client id."""
    page.get_by_role("link", name="Register an application").click()
    page.fill("#id_name", name)
    client_id = page.input_value("#id_client_id")
    page.select_option("#id_client_type", "public")
    page.select_option("#id_authorization_grant_type", "authorization-code")
    page.fill("#id_redirect_uris", redirect_uri)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#client-id")).to_have_text(client_id)
    return client_id


def authorize_with_pkce(page: Page, base_url: str, client_id: str, redirect_uri: str, *, state: str,
                        on_consent=None) -> tuple[str, str, dict]:
    """Asks for a code (scope read, PKCE S256) and allows it on the consent page; the client's redirect is
    caught in the browser, so no server is needed there. on_consent(page) runs while the consent shows.
    Returns (the code verifier, the redirect's URL, its query)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirected = []

    def catch(route):
        redirected.append(route.request.url)
        route.fulfill(status=200, content_type="text/plain", body="client callback")

    page.route(redirect_uri.rsplit("/", 1)[0] + "/**", catch)
    page.goto(f"{base_url}/o/authorize/?" + urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "scope": "read",
        "state": state, "code_challenge": challenge, "code_challenge_method": "S256"}))
    if on_consent:
        on_consent(page)
    page.get_by_role("button", name="Allow").click()
    expect(page.get_by_text("client callback")).to_be_visible()
    return verifier, redirected[-1], parse_qs(urlsplit(redirected[-1]).query)
