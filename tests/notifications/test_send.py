"""Sending notifications to every kind of recipient, against two simulated clusters and the real SMTP
sink: exactly one mail per address, its body rendered with that recipient's instances, and the archive."""

import re

import pytest

from notifications.models import Notification
from tests.notifications.conftest import name

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

BODY = ("Dear {{ user.full_name }},\n"
        "{% for instance in instances %}- {{ instance }} on {{ instance.cluster_slug }}\n{% empty %}no instance\n"
        "{% endfor %}")


def send(client, to, subject, *, body=BODY, button="send"):
    return client.post("/notifications/", {"to": to, "subject": subject, "body": body, button: "1"})


def listed(body: str) -> set[str]:
    """The instances a mail rendered from BODY lists, as "name on cluster"."""
    return set(re.findall(r"^- (\S+ on \S+)$", body, re.M))


def mails(sink, subject):
    found = [message for message in sink.messages() if subject in message["subject"]]
    return {message["to"]: message for message in found}, len(found)


@pytest.fixture
def helpdesk(client, people):
    client.force_login(people.hal)
    return client


def test_users_and_groups_get_one_mail_each_and_the_archive_says_so(helpdesk, people, clusters, smtp_sink):
    response = send(helpdesk, [f"u_{people.alice.pk}", f"g_{people.staff.pk}", f"u_{people.gina.pk}"], "Users")
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    by_address, count = mails(smtp_sink, "Users")
    # gina is chosen twice (herself, and as a member of staff): one mail. nemo has no address, ivan is not active.
    assert count == 2 and set(by_address) == {"alice@example.org", "gina@example.org"}
    assert by_address["alice@example.org"]["subject"] == "[ganetimgr] Users"
    assert by_address["alice@example.org"]["body"].startswith("Dear Alice,\nno instance")
    assert by_address["gina@example.org"]["body"].startswith("Dear gina,\nno instance")
    notification = Notification.objects.get()
    assert (notification.sender, notification.subject, notification.body) == (people.hal, "Users", BODY)
    assert (notification.sent_count, notification.failed_count) == (2, 0)
    assert sorted(notification.addresses) == ["alice@example.org", "gina@example.org"]
    assert set(notification.recipients.all()) == {people.alice, people.gina}
    assert notification.recipient_ids == [f"u_{people.alice.pk}", f"g_{people.staff.pk}", f"u_{people.gina.pk}"]
    page = helpdesk.get("/notifications/").content.decode()
    assert "Notification sent to 2 recipients." in page
    assert 'id="notification-archive"' in page and "Users" in page


def test_the_owners_of_an_instance_user_and_group_owned(helpdesk, people, clusters, smtp_sink):
    send(helpdesk, [f"i_c1/{name(5)}", f"i_c1/{name(1)}"], "Instances")
    by_address, count = mails(smtp_sink, "Instances")
    assert count == 3
    assert listed(by_address["bob@example.org"]["body"]) == {f"{name(5)} on c1"}  # user tag
    assert listed(by_address["gina@example.org"]["body"]) == {f"{name(5)} on c1"}  # member of the owner group
    assert listed(by_address["alice@example.org"]["body"]) == {f"{name(1)} on c1"}
    assert by_address["bob@example.org"]["body"].startswith("Dear Bob Builder,\n")


def test_the_owners_of_every_instance_of_two_clusters(helpdesk, people, clusters, smtp_sink):
    response = send(helpdesk, ["c_c1", "c_c2"], "Clusters", button="preview")
    page = response.content.decode()
    assert response.status_code == 200 and "3 recipients" in page and not smtp_sink.messages()
    assert "No owner known here, left out: " + ", ".join(sorted(name(n) for n in (2, 3, 4, 6))) in page
    assert "No e-mail address, left out: nemo." in page and "Not active, left out: ivan." in page

    send(helpdesk, ["c_c1", "c_c2"], "Clusters")
    by_address, count = mails(smtp_sink, "Clusters")
    assert count == 3  # bob owns instances on both clusters: still one mail
    assert listed(by_address["alice@example.org"]["body"]) == {f"{name(n)} on c1" for n in (1, 4, 7)}
    assert listed(by_address["bob@example.org"]["body"]) == (
        {f"{name(n)} on c1" for n in (2, 5, 8)} | {f"{name(n)} on c2" for n in (1, 3, 5)})
    assert listed(by_address["gina@example.org"]["body"]) == {f"{name(5)} on c1", f"{name(5)} on c2"}
    assert Notification.objects.get().sent_count == 3


def test_the_owners_of_a_node_are_those_of_its_primary_instances_on_that_cluster(helpdesk, people, clusters,
                                                                                 smtp_sink):
    send(helpdesk, ["n_c2/node1.ganeti.test"], "Node")  # c1 has a node1.ganeti.test too: alice's, not asked
    by_address, count = mails(smtp_sink, "Node")
    assert count == 2
    assert listed(by_address["bob@example.org"]["body"]) == {f"{name(n)} on c2" for n in (1, 3, 5)}
    assert listed(by_address["gina@example.org"]["body"]) == {f"{name(5)} on c2"}


def test_the_owners_of_a_node_group(helpdesk, people, clusters, smtp_sink):
    send(helpdesk, ["ng_c1/group2"], "Group2")  # node2: inst0002, inst0005, inst0008
    by_address, count = mails(smtp_sink, "Group2")
    assert count == 2
    assert listed(by_address["bob@example.org"]["body"]) == {f"{name(n)} on c1" for n in (2, 5, 8)}
    assert listed(by_address["gina@example.org"]["body"]) == {f"{name(5)} on c1"}
    send(helpdesk, ["ng_c1/default"], "Default group")  # node1 and node3
    by_address, count = mails(smtp_sink, "Default group")
    assert count == 1 and listed(by_address["alice@example.org"]["body"]) == {f"{name(n)} on c1" for n in (1, 4, 7)}


@pytest.mark.parametrize("ids, error", [
    (["x_1"], "Not a recipient: x_1."),
    (["u_alice"], "Not a recipient: u_alice."),
    (["i_c1"], "Not a recipient: i_c1."),
    (["u_999999"], "There is no user u_999999."),
    (["g_999999"], "There is no group g_999999."),
    (["c_nowhere"], "There is no enabled cluster nowhere (c_nowhere)."),
    ([f"i_c1/{name(99)}"], f"Cluster Cluster c1 has no instance {name(99)}."),
    (["n_c1/node9.ganeti.test"], "Cluster Cluster c1 has no node node9.ganeti.test."),
    (["ng_c1/node1.ganeti.test"], "Cluster Cluster c1 has no node group node1.ganeti.test."),
    ([], "Choose at least one recipient."),
])
def test_bad_recipients_are_form_errors_and_nothing_is_sent(helpdesk, people, clusters, smtp_sink, ids, error):
    response = send(helpdesk, [f"u_{people.alice.pk}", *ids] if ids else [], "Bad")
    assert response.status_code == 200
    assert error in response.content.decode()
    assert smtp_sink.messages() == [] and not Notification.objects.exists()


def test_a_body_that_is_not_a_safe_template_is_refused(helpdesk, people, clusters, smtp_sink):
    for body, error in [("{% for x in %}", "The message is not a valid template"),
                        ("{% debug %}", "Invalid block tag"),
                        ("{% load static %}", "Invalid block tag"),
                        ('{% include "base.html" %}', "Invalid block tag")]:
        page = send(helpdesk, [f"u_{people.alice.pk}"], "Template", body=body).content.decode()
        assert error in page, body
    assert smtp_sink.messages() == [] and not Notification.objects.exists()


def test_a_dead_mail_server_is_reported_and_archived_as_failed(helpdesk, people, clusters, dead_mail_server):
    response = send(helpdesk, ["c_c1"], "Dead mail", )
    assert response.status_code == 302
    page = helpdesk.get("/notifications/").content.decode()
    assert "The notification could not be sent: the mails to all 3 recipients failed" in page
    notification = Notification.objects.get()
    assert (notification.sent_count, notification.failed_count) == (0, 3)
    assert sorted(notification.failed_addresses) == ["alice@example.org", "bob@example.org", "gina@example.org"]


def test_a_cluster_that_does_not_answer_is_named_and_nothing_is_sent(helpdesk, people, clusters, simulators,
                                                                     cluster_on, smtp_sink):
    dead = simulators(instances=2, owners="alice")
    cluster_on(dead, "c3")
    dead.set_faults(mode="error502")
    response = send(helpdesk, [f"u_{people.bob.pk}", "c_c1", "c_c3"], "Dead cluster")
    page = response.content.decode()
    assert response.status_code == 200
    assert re.search(r"Cluster Cluster c3 did not answer \([^)]*\): the owners for c_c3 cannot be found\.", page)
    assert smtp_sink.messages() == [] and not Notification.objects.exists()


def test_an_address_the_mail_library_refuses_fails_that_mail_only_and_is_archived(helpdesk, people, clusters,
                                                                                  smtp_sink):
    people.bob.email = "bob@example.org\nBcc: eve@example.org"  # e.g. written by a directory sync
    people.bob.save()
    response = send(helpdesk, [f"u_{people.alice.pk}", f"u_{people.bob.pk}"], "Refused address")
    assert response.status_code == 302
    by_address, count = mails(smtp_sink, "Refused address")
    assert count == 1 and set(by_address) == {"alice@example.org"}
    notification = Notification.objects.get()
    assert (notification.sent_count, notification.failed_count) == (1, 1)
    assert notification.failed_addresses == [people.bob.email]
