"""The API's endpoints with tokens (tests/api/conftest.py make_token): both token placements, the JSON
errors, scopes, what each user sees, the power actions through the pages' service, CORS."""

import pytest
from django.urls import reverse

from auditlog.models import AuditEntry
from tests.api.conftest import bearer
from tests.ganeti.instance_setup import PREFIX, set_tags, tags_of
from tests.helpers import add_cluster, free_port

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

LIST = "/instances/list/"
DETAILS = "/user/details/"


def owned_by(sim, names, tag):
    return sorted(name for name in names if tag in tags_of(sim, name))


def assert_json_error(answer, status, code):
    assert answer.status_code == status, answer.content
    assert answer["Content-Type"] == "application/json"
    assert answer.json()["error"]["code"] == code
    assert answer.json()["error"]["message"]


# -- tokens ----------------------------------------------------------------------------------------


def test_user_details_with_the_token_in_the_header_and_in_the_query(client, people, make_token):
    token = make_token(people["alice"])
    expected = {"username": "alice", "email": "alice@example.org", "id": people["alice"].pk}
    assert client.get(DETAILS, **bearer(token)).json() == expected
    assert client.get(DETAILS, {"access_token": token}).json() == expected


def test_no_token_answers_401_json_never_a_login_page_even_with_a_session(client, people):
    answer = client.get(DETAILS)
    assert_json_error(answer, 401, "token_required")
    assert answer["WWW-Authenticate"] == 'Bearer realm="ganetimgr"'
    client.force_login(people["alice"])  # a session alone never authorises the API
    for url in (DETAILS, LIST, reverse("api:instance", args=["c1", "x.example.org"])):
        assert_json_error(client.get(url), 401, "token_required")
    assert_json_error(client.post(reverse("api:instance_action", args=["c1", "x.example.org", "reboot"])),
                      401, "token_required")


def test_bad_expired_and_revoked_tokens_and_inactive_users_answer_401(client, people, make_token):
    assert_json_error(client.get(DETAILS, **bearer("no-such-token")), 401, "invalid_token")
    answer = client.get(DETAILS, {"access_token": "no-such-token"})
    assert_json_error(answer, 401, "invalid_token")
    assert 'error="invalid_token"' in answer["WWW-Authenticate"]
    expired = make_token(people["alice"], expires_in=-1)
    assert_json_error(client.get(DETAILS, **bearer(expired)), 401, "invalid_token")
    inactive = make_token(people["oscar"])
    people["oscar"].is_active = False
    people["oscar"].save()
    assert_json_error(client.get(DETAILS, **bearer(inactive)), 401, "invalid_token")


def test_a_token_without_the_read_scope_answers_403(client, people, make_token):
    token = make_token(people["alice"], "write")
    answer = client.get(LIST, **bearer(token))
    assert_json_error(answer, 403, "insufficient_scope")
    assert 'error="insufficient_scope"' in answer["WWW-Authenticate"] and 'scope="read"' in answer["WWW-Authenticate"]


def test_query_tokens_can_be_turned_off(client, people, make_token, settings):
    settings.OAUTH2_ALLOW_QUERY_TOKEN = False
    token = make_token(people["alice"])
    assert_json_error(client.get(DETAILS, {"access_token": token}), 401, "invalid_request")
    assert client.get(DETAILS, **bearer(token)).status_code == 200


# -- /instances/list/ ------------------------------------------------------------------------------


def test_the_list_has_the_originals_shape_and_the_owners_instances(client, api_sim, api_cluster, sim_names, people,
                                                                  make_token):
    alices = owned_by(api_sim, sim_names, f"{PREFIX}:user:alice")
    assert 0 < len(alices) < len(sim_names)
    answer = client.get(LIST, **bearer(make_token(people["alice"])))
    assert answer.status_code == 200
    assert answer.json() == {
        "user": {"username": "alice", "email": "alice@example.org", "id": people["alice"].pk},
        "response": {"instances": alices, "errors": False, "failed_clusters": []},
    }


def test_group_owned_instances_are_listed_and_helpdesk_gets_only_its_own(client, api_sim, api_cluster, sim_names,
                                                                        people, make_token):
    staffs = owned_by(api_sim, sim_names, f"{PREFIX}:group:staff")
    assert staffs
    assert client.get(LIST, **bearer(make_token(people["gina"]))).json()["response"]["instances"] == staffs
    # Helpdesk sees every instance on the pages; the original's list names the owned ones only.
    assert client.get(LIST, **bearer(make_token(people["hal"]))).json()["response"]["instances"] == []


def test_the_tag_filter_is_exact(client, api_sim, api_cluster, sim_names, people, make_token):
    alices = owned_by(api_sim, sim_names, f"{PREFIX}:user:alice")
    tagged = alices[0]
    set_tags(api_sim, tagged, add=["web:frontend"])
    try:
        token = make_token(people["alice"])
        assert client.get(LIST, {"tag": "web:frontend"}, **bearer(token)).json()["response"]["instances"] == [tagged]
        assert client.get(LIST, {"tag": "web"}, **bearer(token)).json()["response"]["instances"] == []
        assert client.get(LIST, {"tag": f"{PREFIX}:user:alice"}, **bearer(token)).json()["response"]["instances"] \
            == alices
    finally:
        set_tags(api_sim, tagged, remove=["web:frontend"])


def test_a_dead_cluster_sets_errors_and_names_it(client, api_sim, api_cluster, sim_names, people, make_token):
    add_cluster(api_sim, "dead", port=free_port())
    body = client.get(LIST, **bearer(make_token(people["alice"]))).json()["response"]
    assert body["errors"] is True
    assert body["failed_clusters"] == ["dead"]
    assert body["instances"] == owned_by(api_sim, sim_names, f"{PREFIX}:user:alice")  # the live cluster's still


# -- /api/v1/instances/<cluster>/<instance>/ -------------------------------------------------------


def test_instance_details_for_the_owner_and_404_for_a_stranger(client, api_sim, api_cluster, sim_names, people,
                                                              make_token):
    name = owned_by(api_sim, sim_names, f"{PREFIX}:user:alice")[0]
    url = reverse("api:instance", args=["c1", name])
    body = client.get(url, **bearer(make_token(people["alice"]))).json()
    assert body["name"] == name and body["cluster"] == "c1"
    assert body["users"] == ["alice"] and body["actions"] == ["startup", "shutdown", "reboot"]
    assert body["state"] in ("running", "stopped")
    assert "primary_node" not in body
    assert_json_error(client.get(url, **bearer(make_token(people["oscar"]))), 404, "not_found")
    # A missing instance and an unknown cluster answer the same.
    assert_json_error(client.get(reverse("api:instance", args=["c1", "nosuch.example.org"]),
                                 **bearer(make_token(people["alice"]))), 404, "not_found")
    assert_json_error(client.get(reverse("api:instance", args=["nosuch", name]),
                                 **bearer(make_token(people["alice"]))), 404, "not_found")
    helpdesk = client.get(url, **bearer(make_token(people["hal"]))).json()
    assert helpdesk["primary_node"] and helpdesk["actions"] == []


# -- actions ---------------------------------------------------------------------------------------


def jobs(sim):
    return sim.request("GET", "/2/jobs")[1]


def test_actions_need_the_write_scope_and_submit_a_job_with_an_audit_entry(client, api_sim, api_cluster, sim_names,
                                                                           people, make_token):
    name = owned_by(api_sim, sim_names, f"{PREFIX}:user:alice")[0]
    url = reverse("api:instance_action", args=["c1", name, "reboot"])
    before = len(jobs(api_sim))
    assert_json_error(client.post(url, **bearer(make_token(people["alice"], "read"))), 403, "insufficient_scope")
    assert len(jobs(api_sim)) == before
    answer = client.post(url, **bearer(make_token(people["alice"], "read write")))
    assert answer.status_code == 202, answer.content
    job_id = answer.json()["job_id"]
    assert job_id in [job["id"] for job in jobs(api_sim)]
    entry = AuditEntry.objects.get(job_id=job_id)
    assert entry.requester == people["alice"] and entry.instance_name == name and entry.action == "reboot"
    assert entry.authorized
    # The job's action lock is the pages' one: a second action waits for it.
    assert_json_error(client.post(url, **bearer(make_token(people["alice"], "write"))), 409, "job_pending")
    assert_json_error(client.get(url, **bearer(make_token(people["alice"], "write"))), 405, "method_not_allowed")


def test_actions_refused_to_helpdesk_strangers_on_locked_and_running_instances(client, api_sim, api_cluster,
                                                                               sim_names, people, make_token):
    name = owned_by(api_sim, sim_names, f"{PREFIX}:user:alice")[-1]
    before = len(jobs(api_sim))
    reboot = reverse("api:instance_action", args=["c1", name, "reboot"])
    assert_json_error(client.post(reboot, **bearer(make_token(people["hal"], "write"))), 403, "not_allowed")
    refused = AuditEntry.objects.get(instance_name=name, authorized=False)
    assert refused.requester == people["hal"]
    assert_json_error(client.post(reboot, **bearer(make_token(people["oscar"], "write"))), 404, "not_found")
    assert_json_error(client.post(reverse("api:instance_action", args=["c1", name, "destroy"]),
                                  **bearer(make_token(people["alice"], "write"))), 404, "unknown_action")
    running = api_sim.request("GET", f"/2/instances/{name}")[1]["status"] == "running"
    if running:
        assert_json_error(client.post(reverse("api:instance_action", args=["c1", name, "startup"]),
                                      **bearer(make_token(people["alice"], "write"))), 409, "already_running")
    assert len(jobs(api_sim)) == before
    set_tags(api_sim, name, add=[f"{PREFIX}:adminlock"])
    try:
        before = len(jobs(api_sim))
        assert_json_error(client.post(reboot, **bearer(make_token(people["alice"], "write"))), 403, "admin_locked")
        assert len(jobs(api_sim)) == before
    finally:
        set_tags(api_sim, name, remove=[f"{PREFIX}:adminlock"])
