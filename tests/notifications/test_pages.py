"""Who may use the notification pages, the recipient lookup, the prefill, the archive's pages, and a
mail server that refuses one recipient."""


import pytest
from aiosmtpd.controller import Controller

from notifications.models import Notification
from tests.helpers import free_port
from tests.notifications.conftest import name

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def archived(people):
    notification = Notification.objects.create(
        sender=people.hal, subject="Planned maintenance", body="Hello {{ user.username }}", recipient_ids=["c_c1"],
        addresses=["alice@example.org", "bob@example.org"], failed_addresses=["bob@example.org"], sent_count=1,
        failed_count=1)
    notification.recipients.set([people.alice, people.bob])
    return notification


def test_access(client, people, superuser, archived):
    compose, lookup, detail = "/notifications/", "/notifications/usergrps/?type=users&q=al", \
        f"/notifications/archive/{archived.pk}/"
    for url in (compose, lookup, detail):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/user/login/"), url
    assert client.post(compose, {"to": "c_c1", "subject": "x", "body": "x", "send": "1"}).status_code == 302

    client.force_login(people.other)
    assert client.get(compose).status_code == 403
    assert client.post(compose, {"to": "c_c1", "subject": "x", "body": "x", "send": "1"}).status_code == 403
    response = client.get(lookup)
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    assert client.get(detail).status_code == 403

    client.force_login(people.hal)  # helpdesk: composes, lists the archive, but its pages need can_view_notif
    page = client.get(compose).content.decode()
    assert "Planned maintenance" in page and detail not in page
    assert client.get(lookup).status_code == 200
    assert client.get(detail).status_code == 403

    client.force_login(people.archie)  # the archive permission alone
    assert client.get(compose).status_code == 403
    page = client.get(detail).content.decode()
    assert "Planned maintenance" in page and "Hello {{ user.username }}" in page
    assert "1 sent, 1 failed" in page and "hal" in page and "<code>c_c1</code>" in page
    assert "bob@example.org" in page and "failed</span>" in page

    client.force_login(superuser)
    assert detail in client.get(compose).content.decode()
    assert client.get(detail).status_code == 200
    assert client.get("/notifications/archive/999999/").status_code == 404


def test_the_sidebar_entry_is_for_helpdesk(client, people):
    client.force_login(people.other)
    assert 'href="/notifications/"' not in client.get("/").content.decode()
    client.force_login(people.hal)
    assert 'href="/notifications/"' in client.get("/").content.decode()


def lookup(client, kind, query, **headers):
    return client.get("/notifications/usergrps/", {"type": kind, "q": query}, **headers)


def test_the_lookup_finds_every_kind(client, people, clusters):
    client.force_login(people.hal)
    ids = lambda kind, query: [row["id"] for row in lookup(client, kind, query).json()["results"]]  # noqa: E731
    assert ids("users", "bob@exa") == [f"u_{people.bob.pk}"]
    assert ids("users", "Build") == [f"u_{people.bob.pk}"]
    assert f"u_{people.ivan.pk}" not in ids("users", "ivan")  # not active
    assert ids("groups", "staf") == [f"g_{people.staff.pk}"]
    assert ids("clusters", "c2") == ["c_c2"]
    assert ids("instances", "inst0005") == [f"i_c1/{name(5)}", f"i_c2/{name(5)}"]
    assert ids("nodes", "node3") == ["n_c1/node3.ganeti.test"]
    assert ids("nodegroups", "group2") == ["ng_c1/group2"]
    row = lookup(client, "instances", "inst0007").json()["results"][0]
    assert row == {"id": f"i_c1/{name(7)}", "type": "i", "type_label": "Instance", "text": f"{name(7)} (Cluster c1)"}
    assert lookup(client, "instances", "i").json() == {"results": [], "errors": []}  # fewer than 2 characters

    for kind in ("cluster", "", "everyone"):
        response = lookup(client, kind, "al")
        assert response.status_code == 400 and response.json()["error"]["code"] == "bad_type"
        assert "users, groups, instances, clusters, nodes, nodegroups" in response.json()["error"]["message"]

    fragment = lookup(client, "nodegroups", "default", HTTP_HX_REQUEST="true").content.decode()
    assert 'name="to" value="ng_c1/default"' in fragment and 'value="ng_c2/default"' in fragment
    assert "Type at least 2 characters." in lookup(client, "users", "a", HTTP_HX_REQUEST="true").content.decode()


def test_the_lookup_names_a_cluster_that_does_not_answer(client, people, clusters, simulators, cluster_on):
    dead = simulators(instances=2)
    cluster_on(dead, "c3")
    dead.set_faults(mode="error502")
    client.force_login(people.hal)
    body = lookup(client, "instances", "inst0001").json()
    assert [row["id"] for row in body["results"]] == [f"i_c1/{name(1)}", f"i_c2/{name(1)}"]
    assert len(body["errors"]) == 1 and body["errors"][0].startswith("Cluster c3: ")


def test_prefill_shows_the_chosen_recipients(client, people, clusters):
    client.force_login(people.hal)
    page = client.get("/notifications/", {"to": [f"u_{people.alice.pk}", "c_c1", f"i_c2/{name(3)}", "bogus"]}) \
        .content.decode()
    assert f'name="to" value="u_{people.alice.pk}"' in page and "alice (Alice) &lt;alice@example.org&gt;" in page
    assert 'name="to" value="c_c1"' in page
    assert f'name="to" value="i_c2/{name(3)}"' in page and f"{name(3)} (Cluster c2)" in page
    assert "value=\"bogus\"" not in page


class RefusesBob:
    """An SMTP server that refuses bob@example.org and keeps the rest."""

    def __init__(self):
        self.received = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == "bob@example.org":
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 Message accepted"


def test_a_refused_recipient_is_reported_and_the_others_get_their_mail(client, people, clusters, settings):
    handler = RefusesBob()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", controller.port, False
        client.force_login(people.hal)
        client.post("/notifications/", {"to": ["c_c1"], "subject": "Partly", "body": "{{ instances|join:' ' }}",
                                        "send": "1"})
    finally:
        controller.stop()
    assert sorted(rcpt[0] for rcpt, _content in handler.received) == ["alice@example.org", "gina@example.org"]
    content = dict((rcpt[0], text) for rcpt, text in handler.received)
    assert " ".join(name(n) for n in (1, 4, 7)) in content["alice@example.org"]
    assert "Reply-To: hal@example.org" in content["alice@example.org"]
    page = client.get("/notifications/").content.decode()
    assert "Notification sent to 2 of 3 recipients; the mail to these failed: bob@example.org." in page
    notification = Notification.objects.get()
    assert (notification.sent_count, notification.failed_count, notification.failed_addresses) == \
        (2, 1, ["bob@example.org"])
