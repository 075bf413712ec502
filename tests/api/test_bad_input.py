"""Bad input to the API, the OAuth pages and the console never answers 500 (H8 review): malformed
Authorization headers, odd and very long names, unknown actions and methods, ids that are not numbers."""

import pytest
from django.test import Client

from tests.api.conftest import bearer

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

DETAILS = "/user/details/"


@pytest.mark.parametrize("header", [
    "Bearer", "Bearer ", "Basic x", "bearer", "Bearer a b", "Bearer " + "x" * 20000, "Bearer \u00e9\u00e8",
    "Token abc", "",
])
def test_malformed_authorization_headers_answer_401_json(client, header):
    answer = client.get(DETAILS, HTTP_AUTHORIZATION=header)
    assert answer.status_code == 401, (header[:20], answer.content[:200])
    assert answer.json()["error"]["code"] in ("token_required", "invalid_token")


def test_a_very_long_query_token_answers_401(client):
    answer = client.get(DETAILS, {"access_token": "x" * 20000})
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "invalid_token"


@pytest.mark.parametrize("cluster, instance", [
    ("c1", "x" * 300), ("c1", "é.example.org"), ("c1", "..."), ("c1", "a%00b"), ("c1", "a b"),
    ("c" * 300, "web1.example.org"), ("-", "-"),
])
def test_odd_names_answer_404_json(client, api_cluster, people, make_token, cluster, instance):
    token = make_token(people["alice"], "read write")
    for method, url in (("get", f"/api/v1/instances/{cluster}/{instance}/"),
                        ("post", f"/api/v1/instances/{cluster}/{instance}/reboot/")):
        answer = getattr(client, method)(url, **bearer(token))
        assert answer.status_code == 404, (url, answer.content[:200])
        assert answer.json()["error"]["code"] == "not_found"


def test_unknown_actions_and_methods(client, api_cluster, people, make_token):
    token = make_token(people["alice"], "read write")
    url = "/api/v1/instances/c1/x.example.org/"
    assert client.post(url + "destroy%00/", **bearer(token)).json()["error"]["code"] == "unknown_action"
    for method in ("put", "patch", "delete", "options"):
        answer = getattr(client, method)(url, **bearer(token))
        assert answer.status_code == 405 and answer.json()["error"]["code"] == "method_not_allowed", method
        assert getattr(client, method)(DETAILS, **bearer(token)).status_code == 405
    assert client.post("/api/v1/openapi.json").status_code == 405


def test_oauth_pages_with_ids_that_are_not_numbers_answer_404(user):
    browser = Client()
    browser.force_login(user)
    for url in ("/o/applications/abc/", "/o/applications/abc/update/", "/o/applications/abc/delete/",
                "/o/authorized_tokens/abc/delete/", "/o/applications/99999/"):
        assert browser.get(url).status_code == 404, url


def test_console_urls_with_odd_names_answer_404(user):
    browser = Client()
    browser.force_login(user)
    for name in ("x" * 300, "é.example.org", "a b"):
        assert browser.get(f"/instances/nosuch/{name}/novnc/").status_code == 404
        answer = browser.post(f"/instances/nosuch/{name}/novnc-proxy/")
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
