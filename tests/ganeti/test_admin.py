"""Clusters and networks in the admin: the RAPI password is stored encrypted and never shown back."""

import pytest
from django.contrib.auth.models import Group

from ganeti.models import Cluster, Network
from ganeti.services import cluster_save
from tests.helpers import free_port

pytestmark = pytest.mark.django_db

CLUSTER_FORM = {
    "hostname": "cluster1.example.org", "slug": "cluster1", "port": "5080", "description": "First cluster",
    "username": "ganetimgr", "new_password": "rapi-Secret-42", "use_gnt_network": "on",
    "tls_mode": "ca",  # no certificate to pin: these hosts do not exist
}


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def add_cluster(admin_client, follow=False, **changes):
    return admin_client.post("/admin/ganeti/cluster/add/", {**CLUSTER_FORM, **changes}, follow=follow)


@pytest.mark.integration
def test_saving_a_cluster_pins_its_certificate_and_the_admin_shows_it(admin_client, simulators):
    sim = simulators()
    response = add_cluster(admin_client, hostname="127.0.0.1", port=str(sim.port), tls_mode="pin", follow=True)
    assert f"Pinned the certificate of First cluster: {sim.fingerprint}" in response.content.decode()
    cluster = Cluster.objects.get(slug="cluster1")
    assert cluster.tls_fingerprint == sim.fingerprint
    assert sim.fingerprint in admin_client.get(f"/admin/ganeti/cluster/{cluster.pk}/change/").content.decode()
    admin_client.post("/admin/ganeti/cluster/", {"action": "forget_certificates", "_selected_action": [cluster.pk]})
    cluster.refresh_from_db()
    assert cluster.tls_fingerprint == ""


@pytest.mark.integration
def test_an_unreachable_cluster_is_saved_and_pinned_later(admin_client, simulators):
    port = free_port()
    response = add_cluster(admin_client, hostname="127.0.0.1", port=str(port), tls_mode="pin", follow=True)
    assert "could not be read" in response.content.decode() and "pinned at the first contact" in response.content.decode()
    cluster = Cluster.objects.get(slug="cluster1")
    assert cluster.tls_fingerprint == ""
    sim = simulators(port=port)
    response = admin_client.post(f"/admin/ganeti/cluster/{cluster.pk}/change/",
                                 {**CLUSTER_FORM, "hostname": "127.0.0.1", "port": str(port), "tls_mode": "pin",
                                  "new_password": ""})
    cluster.refresh_from_db()
    assert cluster.tls_fingerprint == sim.fingerprint
    # Another address is another certificate: moving the cluster forgets the pinned one.
    cluster.port = free_port()
    cluster_save(cluster=cluster)
    assert cluster.tls_fingerprint == ""


def test_admin_adds_a_cluster_with_its_password_encrypted(admin_client):
    response = add_cluster(admin_client)
    assert response.status_code == 302, response.context["adminform"].form.errors
    cluster = Cluster.objects.get(slug="cluster1")
    assert cluster.hostname == "cluster1.example.org" and cluster.port == 5080 and cluster.use_gnt_network
    assert "rapi-Secret-42" not in cluster.password_encrypted
    assert cluster.password_encrypted.startswith("gAAAAA")  # a Fernet token
    assert cluster.password == "rapi-Secret-42"
    assert cluster.rapi_base_url == "https://cluster1.example.org:5080"


def test_change_form_never_shows_the_password_and_blank_keeps_it(admin_client):
    add_cluster(admin_client)
    cluster = Cluster.objects.get(slug="cluster1")
    page = admin_client.get(f"/admin/ganeti/cluster/{cluster.pk}/change/").content.decode()
    assert "rapi-Secret-42" not in page and cluster.password_encrypted not in page
    assert "A password is stored. Leave this empty to keep it" in page
    response = admin_client.post(f"/admin/ganeti/cluster/{cluster.pk}/change/",
                                 {**CLUSTER_FORM, "new_password": "", "description": "Renamed"})
    assert response.status_code == 302
    cluster.refresh_from_db()
    assert cluster.description == "Renamed" and cluster.password == "rapi-Secret-42"


def test_password_can_be_replaced_and_goes_with_the_username(admin_client):
    add_cluster(admin_client)
    cluster = Cluster.objects.get(slug="cluster1")
    admin_client.post(f"/admin/ganeti/cluster/{cluster.pk}/change/", {**CLUSTER_FORM, "new_password": "new-one"})
    cluster.refresh_from_db()
    assert cluster.password == "new-one"
    admin_client.post(f"/admin/ganeti/cluster/{cluster.pk}/change/",
                      {**CLUSTER_FORM, "username": "", "new_password": ""})
    cluster.refresh_from_db()
    assert cluster.username == "" and not cluster.has_password


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"new_password": ""}, "new_password", "Enter the RAPI password of this user."),
        ({"hostname": "not a host!"}, "hostname", "Enter a host name"),
        ({"port": "70000"}, "port", "less than or equal to 65535"),
        ({"slug": "has spaces"}, "slug", "Enter a valid"),
    ],
)
def test_bad_cluster_input_gives_form_errors(admin_client, changes, field, message):
    response = add_cluster(admin_client, **changes)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors[field])
    assert not Cluster.objects.exists()


def test_enable_and_disable_actions(admin_client):
    add_cluster(admin_client)
    add_cluster(admin_client, slug="cluster2", hostname="cluster2.example.org")
    ids = [str(pk) for pk in Cluster.objects.values_list("pk", flat=True)]
    response = admin_client.post("/admin/ganeti/cluster/", {"action": "disable_clusters", "_selected_action": ids},
                                 follow=True)
    assert "2 clusters disabled." in response.content.decode()
    assert Cluster.objects.filter(disabled=True).count() == 2
    admin_client.post("/admin/ganeti/cluster/", {"action": "enable_clusters", "_selected_action": ids[:1]})
    assert Cluster.objects.filter(disabled=False).count() == 1


@pytest.fixture
def cluster():
    cluster = Cluster(hostname="c.example.org", slug="c", username="u")
    cluster.password = "pw"
    cluster.save()
    return cluster


def network_form(cluster, **changes):
    return {"description": "Public", "cluster": str(cluster.pk), "link": "br0", "mode": "bridged",
            "ipv6_prefix": "", **changes}


def test_network_with_groups_and_a_normalised_ipv6_prefix(admin_client, cluster):
    group = Group.objects.create(name="lab")
    response = admin_client.post("/admin/ganeti/network/add/",
                                 network_form(cluster, ipv6_prefix="2001:db8:1::", groups=[group.pk],
                                              cluster_default="on"))
    assert response.status_code == 302
    network = Network.objects.get()
    assert network.ipv6_prefix == "2001:db8:1::/64" and list(network.groups.all()) == [group]


@pytest.mark.parametrize("prefix, message", [("2001:db8:1::/48", "must be a /64"), ("10.0.0.0/24", "Enter an IPv6 prefix")])
def test_bad_ipv6_prefix_is_a_form_error(admin_client, cluster, prefix, message):
    response = admin_client.post("/admin/ganeti/network/add/", network_form(cluster, ipv6_prefix=prefix))
    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors["ipv6_prefix"])


def test_only_one_default_network_per_cluster(admin_client, cluster):
    admin_client.post("/admin/ganeti/network/add/", network_form(cluster, cluster_default="on"))
    response = admin_client.post("/admin/ganeti/network/add/",
                                 network_form(cluster, description="Second", link="br1", cluster_default="on"))
    assert response.status_code == 200
    assert "This cluster already has a default network." in response.content.decode()
    assert Network.objects.count() == 1


@pytest.mark.parametrize("value", [":", "abc", "99999999999999999999", "1.5"])
def test_a_cluster_that_is_no_id_is_a_form_error(admin_client, cluster, value):
    response = admin_client.post("/admin/ganeti/network/add/", {**network_form(cluster), "cluster": value})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["cluster"]
    assert not Network.objects.exists()
