"""The owners editor (owners as tags) and its lookup, against the simulator."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from auditlog.models import AuditEntry
from tests.ganeti.instance_setup import PREFIX, set_tags, tags_of

pytestmark = [pytest.mark.django_db, pytest.mark.integration,
              pytest.mark.usefixtures("empty_inventory")]

SHARED = "inst0005.ganeti.test"     # alice (user tag) and the group staff


def url(instance=SHARED):
    return reverse("ganeti:instance_owners", kwargs={"cluster": "c1", "instance": instance})


def finish_jobs(sim):
    return [sim.wait_job(entry.job_id)["status"] for entry in AuditEntry.objects.exclude(job_id=None).order_by("pk")]


@pytest.fixture
def alice(client, roles, cluster):
    client.force_login(roles["owner"])
    return roles["owner"]


def test_owner_adds_a_user_and_removes_a_group(client, alice, roles, sim):
    page = client.get(url()).content.decode()
    assert 'value="u:alice" id="owner-u-1" checked' in page and 'value="g:staff"' in page
    response = client.post(url(), {"owners": ["u:alice", "u:oscar"]}, follow=True)
    assert "Owners changed" in response.content.decode()
    assert finish_jobs(sim) == ["success", "success"]                       # tag first, then untag
    assert [t for t in tags_of(sim, SHARED) if ":user:" in t or ":group:" in t] == [
        f"{PREFIX}:user:alice", f"{PREFIX}:user:oscar"]
    assert AuditEntry.objects.filter(action="owners").order_by("pk").first().details == "+user:oscar -group:staff"
    client.force_login(roles["other"])                                      # oscar owns it now
    assert client.get(reverse("ganeti:instance_detail", args=["c1", SHARED])).status_code == 200


def test_the_old_users_spelling_is_removed_too(client, alice, sim):
    set_tags(sim, SHARED, add=[f"{PREFIX}:users:bob"])
    client.post(url(), {"owners": ["u:alice", "g:staff"]})
    finish_jobs(sim)
    assert f"{PREFIX}:users:bob" not in tags_of(sim, SHARED)


@pytest.mark.parametrize(("owners", "says"), [
    (["u:alice", "u:nobody"], "There is no active user nobody"),
    (["u:alice", "g:nogroup"], "There is no group nogroup"),
    (["u:alice", "g:night shift"], "cannot be written as a Ganeti tag"),
    ([], "needs at least one owner"),
    (["x:alice"], "is not a user or a group"),
])
def test_bad_owner_lists_change_nothing(client, alice, sim, owners, says):
    Group.objects.create(name="night shift")
    before = tags_of(sim, SHARED)
    response = client.post(url(), {"owners": owners})
    assert response.status_code == 400 and says in response.content.decode()
    assert tags_of(sim, SHARED) == before and not AuditEntry.objects.exists()


def test_an_inactive_user_cannot_be_added(client, alice, roles, sim):
    roles["other"].is_active = False
    roles["other"].save()
    response = client.post(url(), {"owners": ["u:alice", "u:oscar"]})
    assert response.status_code == 400 and "no active user oscar" in response.content.decode()


def test_a_superuser_may_leave_an_instance_without_owners(client, roles, cluster, sim):
    client.force_login(roles["superuser"])
    assert client.post(url(), {}).status_code == 302
    finish_jobs(sim)
    assert not [t for t in tags_of(sim, SHARED) if ":user:" in t or ":group:" in t]


def test_removing_oneself_leads_home(client, alice, sim):
    response = client.post(url(), {"owners": ["g:staff"]})
    assert response.status_code == 302 and response["Location"] == reverse("ganeti:home")


def test_lookup_shows_emails_only_to_helpdesk(client, roles, cluster):
    lookup = reverse("ganeti:owner_lookup")
    client.force_login(roles["owner"])
    found = client.get(lookup, {"q": "osc"}).json()["results"]
    assert found == [{"id": "u:oscar", "type": "user", "name": "oscar", "label": "oscar"}]
    assert client.get(lookup, {"q": "o"}).json()["results"] == []                  # 2 characters at least
    assert [r["id"] for r in client.get(lookup, {"q": "staf"}).json()["results"]] == ["g:staff"]
    assert client.get(lookup, {"q": "oscar@example"}).json()["results"] == []      # no search by e-mail either
    client.force_login(roles["helpdesk"])
    assert client.get(lookup, {"q": "oscar@example"}).json()["results"][0]["email"] == "oscar@example.org"
    fragment = client.get(lookup, {"q": "osc"}, headers={"HX-Request": "true"}).content.decode()
    assert 'name="owners" value="u:oscar"' in fragment
    client.logout()
    assert client.get(lookup, {"q": "osc"}).status_code == 302
