"""The OpenAPI description (api/openapi.json, served at /api/v1/openapi.json) against the running API:
schemathesis generates requests for every operation and checks that no answer is a server error and
that each answer (status, content type, headers, body) is one the description allows. Bounded: a few
examples per operation, through Django's WSGI handler (no server process)."""

import json
from pathlib import Path

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, ignored_auth, response_headers_conformance, response_schema_conformance,
    status_code_conformance,
)

from tests.ganeti.instance_setup import PREFIX, tags_of

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

DESCRIPTION = json.loads((Path(__file__).resolve().parents[2] / "api" / "openapi.json").read_text())
APP = WSGIHandler()
schema = schemathesis.openapi.from_dict(DESCRIPTION)
schema.app = APP  # every request, the checks' own probes too, goes to Django's handler
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, ignored_auth]


@pytest.fixture
def token(api_cluster, people, make_token):
    """alice's token with both scopes, and the simulated cluster c1 in place. As Django's test client
    does, the handler keeps the test's database connection (and transaction) open between requests."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield make_token(people["alice"], "read write")
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=6, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_the_api_answers_as_its_description_says(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)


def test_the_served_description_is_the_file_with_this_sites_addresses(client):
    served = client.get("/api/v1/openapi.json")  # public: no token, no login
    assert served.status_code == 200
    body = served.json()
    assert body["openapi"].startswith("3.1") and body["paths"].keys() == DESCRIPTION["paths"].keys()
    flows = body["components"]["securitySchemes"]["oauth2"]["flows"]
    assert flows["implicit"]["authorizationUrl"] == "http://testserver/o/authorize/"
    assert flows["authorizationCode"]["tokenUrl"] == "http://testserver/o/token/"


def test_real_answers_conform_too(api_sim, sim_names, token):
    """Generated names rarely hit an instance: the owner's real instance, its details and an action."""
    name = next(name for name in sim_names if f"{PREFIX}:user:alice" in tags_of(api_sim, name))
    headers = {"Authorization": f"Bearer {token}"}
    for path, method, parameters, status in [
        ("/api/v1/instances/{cluster}/{instance}/", "GET", {"cluster": "c1", "instance": name}, 200),
        ("/api/v1/instances/{cluster}/{instance}/{action}/", "POST",
         {"cluster": "c1", "instance": name, "action": "reboot"}, 202),
        ("/api/v1/instances/{cluster}/{instance}/{action}/", "POST",
         {"cluster": "c1", "instance": name, "action": "reboot"}, 409),  # the first one's job is pending
        ("/instances/list/", "GET", {}, 200),
        ("/user/details/", "GET", {}, 200),
    ]:
        case = schema[path][method].Case(path_parameters=parameters or None)
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        assert response.status_code == status, (path, response.text)
