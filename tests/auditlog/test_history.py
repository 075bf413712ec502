"""History (own entries) and the audit log (everyone's, limited in days) with search and paging."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from auditlog.models import AuditEntry
from auditlog.services import audit_record
from ganeti.models import Cluster

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(user, django_user_model):
    cluster = Cluster.objects.create(hostname="c.example.org", slug="c1")
    bob = django_user_model.objects.create_user("bob", "bob@example.org", "bob-secret-pw")
    audit_record(user=user, cluster=cluster, instance_name="alice-vm.example.org", action="reboot", job_id=7)
    audit_record(user=bob, cluster=cluster, instance_name="bob-vm.example.org", action="shutdown", job_id=8)
    old = audit_record(user=bob, cluster=cluster, instance_name="old-vm.example.org", action="startup")
    AuditEntry.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=40))
    return bob


def test_a_user_sees_only_their_own_history(client, user, entries):
    client.force_login(user)
    page = client.get(reverse("auditlog:history")).content.decode()
    assert "alice-vm" in page and "bob-vm" not in page and "History" in page
    data = client.get(reverse("auditlog:history_json")).json()
    assert [row["instance"] for row in data["rows"]] == ["alice-vm.example.org"] and data["total"] == 1
    assert data["rows"][0]["job_id"] == 7 and data["rows"][0]["user"] == "alice"


def test_helpdesk_sees_everyones_entries_of_the_last_days(client, django_user_model, entries, settings):
    helpdesk = django_user_model.objects.create_user("hal", "hal@example.org", "hal-secret-pw")
    helpdesk.user_permissions.add(Permission.objects.get(codename="view_instances"))
    client.force_login(helpdesk)
    settings.AUDIT_ENTRIES_LAST_X_DAYS = 30
    data = client.get(reverse("auditlog:history_json")).json()
    assert sorted(row["instance"] for row in data["rows"]) == ["alice-vm.example.org", "bob-vm.example.org"]
    settings.AUDIT_ENTRIES_LAST_X_DAYS = 0
    assert client.get(reverse("auditlog:history_json")).json()["total"] == 3
    assert [row["user"] for row in client.get(reverse("auditlog:history_json"), {"q": "8"}).json()["rows"]] == ["bob"]
    assert "Audit log" in client.get(reverse("auditlog:history")).content.decode()


def test_the_ip_is_the_proxys_client_only_behind_the_trusted_local_proxy(rf, user):
    cluster = Cluster.objects.create(hostname="c.example.org", slug="c1")
    request = rf.post("/", HTTP_X_FORWARDED_FOR="10.0.0.9", REMOTE_ADDR="127.0.0.1")
    request.user = user
    assert audit_record(request=request, cluster=cluster, instance_name="x", action="reboot").ip == "10.0.0.9"
    request = rf.post("/", HTTP_X_FORWARDED_FOR="10.0.0.9", REMOTE_ADDR="192.0.2.5")
    request.user = user
    assert audit_record(request=request, cluster=cluster, instance_name="x", action="reboot").ip == "192.0.2.5"


def test_history_pages_by_50(client, user):
    cluster = Cluster.objects.create(hostname="c.example.org", slug="c1")
    for index in range(55):
        audit_record(user=user, cluster=cluster, instance_name=f"vm{index}", action="reboot")
    client.force_login(user)
    data = client.get(reverse("auditlog:history_json"), {"page": 2}).json()
    assert (data["total"], data["pages"], data["page"], len(data["rows"])) == (55, 2, 2, 5)


def test_history_page_links_keep_the_search(client, user):
    cluster = Cluster.objects.create(hostname="c.example.org", slug="c1")
    for index in range(55):
        audit_record(user=user, cluster=cluster, instance_name=f"web{index}", action="reboot")
    client.force_login(user)
    first = client.get(reverse("auditlog:history"), {"q": "web"}).content.decode()
    assert 'href="?q=web&amp;page=2">Next<' in first and "Page 1 of 2" in first and ">Previous<" not in first
    second = client.get(reverse("auditlog:history"), {"q": "web", "page": 2}).content.decode()
    assert 'href="?q=web&amp;page=1">Previous<' in second and ">Next<" not in second


@pytest.mark.parametrize("query", ["alice\x00", "²", "99999999999999999999", "٣"])
def test_odd_searches_answer_a_page_not_a_500(client, user, entries, query):
    client.force_login(user)
    assert client.get(reverse("auditlog:history"), {"q": query}).status_code == 200
    data = client.get(reverse("auditlog:history_json"), {"q": query}).json()
    assert data["rows"] == [] or query == "alice\x00"
    if query == "alice\x00":
        assert [row["instance"] for row in data["rows"]] == ["alice-vm.example.org"]   # the NUL is dropped
