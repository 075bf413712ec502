"""The cluster info page (/cluster/detail/), its JSON, its Refresh button, the instance popup and
clear cache, against simulated clusters."""

from contextlib import ExitStack

import pytest
from django.urls import reverse

from apply.models import ApplicationStatus, InstanceApplication, Organization
from tests.ganeti.infrastructure_setup import make_helpdesk, start_simulators
from tests.helpers import add_cluster

pytestmark = [pytest.mark.django_db, pytest.mark.integration, pytest.mark.usefixtures("empty_inventory")]

GREEK = {"HTTP_ACCEPT_LANGUAGE": "el"}


@pytest.fixture(scope="module")
def sims(tmp_path_factory):
    """Two clusters: the first with 4 nodes in 2 groups, 2 networks, 12 instances owned by alice."""
    with ExitStack() as stack:
        first = start_simulators(stack, tmp_path_factory.mktemp("sims"), 1, nodes=4, groups=2, networks=2,
                                 instances=12, owners="alice", owner_groups="staff")[0]
        second = start_simulators(stack, tmp_path_factory.mktemp("sims"), 1, first=1, nodes=2, instances=3)[0]
        yield first, second


@pytest.fixture
def clusters(sims):
    for sim in sims:
        sim.set_faults(mode=None)
    return add_cluster(sims[0], "c1"), add_cluster(sims[1], "c2")


@pytest.fixture
def helpdesk(django_user_model):
    return make_helpdesk(django_user_model)


def as_user(client, user):
    if user is not None:
        client.force_login(user)
    return client


# -- access ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/cluster/detail/", "/cluster/detail/?cluster=c1", "/cluster/detail/json/?cluster=c1",
                                 "/cluster/popup/?cluster=c1&instance=x"])
def test_anonymous_visitors_are_sent_to_log_in(client, clusters, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/user/login/")


def test_a_plain_user_is_refused_and_json_says_why(client, clusters, user):
    client.force_login(user)
    assert client.get("/cluster/detail/?cluster=c1").status_code == 403
    response = client.get("/cluster/detail/json/?cluster=c1")
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    assert client.post("/cluster/detail/refresh/", {"cluster": "c1"}).status_code == 403
    assert client.get("/cluster/popup/?cluster=c1&instance=x").status_code == 403


@pytest.mark.parametrize("role", ["helpdesk", "superuser"])
def test_helpdesk_and_superusers_see_cluster_info(client, clusters, helpdesk, superuser, role):
    as_user(client, helpdesk if role == "helpdesk" else superuser)
    chooser = client.get("/cluster/detail/").content.decode()
    assert "?cluster=c1" in chooser and "?cluster=c2" in chooser
    assert client.get("/cluster/detail/?cluster=c1").status_code == 200


def test_an_unknown_or_disabled_cluster_is_404(client, clusters, helpdesk):
    client.force_login(helpdesk)
    assert client.get("/cluster/detail/?cluster=nope").status_code == 404
    clusters[1].disabled = True
    clusters[1].save()
    assert client.get("/cluster/detail/?cluster=c2").status_code == 404
    response = client.get("/cluster/detail/json/?cluster=c2")
    assert response.status_code == 404 and response.json()["error"]["code"] == "unknown_cluster"
    assert client.get("/cluster/detail/json/").json()["error"]["code"] == "missing_cluster"


# -- what it shows ---------------------------------------------------------------------------------


def test_the_page_shows_what_the_cluster_says(client, clusters, sims, helpdesk):
    sim = sims[0]
    client.force_login(helpdesk)
    body = client.get("/cluster/detail/?cluster=c1").content.decode()
    info = sim.request("GET", "/2/info")[1]
    networks = sim.request("GET", "/2/networks?bulk=1")[1]
    groups = sim.request("GET", "/2/groups?bulk=1")[1]
    assert f'<td data-field="software_version">{info["software_version"]}</td>' in body
    assert info["software_version"].startswith("3.0")
    assert "default: kvm" in body
    for template in info["enabled_disk_templates"]:
        assert f">{template}</span>" in body
    assert '<td data-field="instance_count">12</td>' in body
    # ipolicy: the first min/max pair and std (memory in MiB shown as such)
    assert "32 MiB" in body and "64 GiB" in body
    for group in groups:
        assert f'data-group="{group["name"]}"' in body
        for node in group["node_list"]:
            assert f'data-node="{node}"' in body
    for network in networks:
        assert f'data-network="{network["name"]}"' in body
        assert f'<td data-field="free">{network["free_count"]}</td>' in body
        assert f'<td data-field="reserved">{network["reserved_count"]}</td>' in body
    assert "(routed, rt1)" in body  # the networks connected to each group, with mode and link


def test_the_json_has_the_documented_shape(client, clusters, sims, helpdesk):
    client.force_login(helpdesk)
    data = client.get("/cluster/detail/json/?cluster=c1").json()
    assert data["cluster"] == {"slug": "c1", "description": "Cluster c1", "hostname": "127.0.0.1"}
    assert data["errors"] == [] and data["instance_count"] == 12
    assert data["info"]["software_version"].startswith("3.0") and data["info"]["default_hypervisor"] == "kvm"
    assert data["info"]["ipolicy"]["minmax"][0]["max"]["memory-size"] == 65536
    assert sorted(group["name"] for group in data["node_groups"]) == ["default", "group2"]
    assert sum(len(group["nodes"]) for group in data["node_groups"]) == 4
    assert sum(group["instances"] for group in data["node_groups"]) == 12
    node = data["nodes"][0]
    assert {"name", "role", "group", "memory_used_percent", "disk_used_percent", "cpus", "primary_instances"} <= set(node)
    assert node["role"] == "master" and node["primary_instances"][0]["url"].startswith("/instances/c1/")
    assert [network["name"] for network in data["networks"]] == ["net1", "net2"]
    assert all(network["free"] + network["reserved"] == network["size"] == 1024 for network in data["networks"])


def test_a_dead_cluster_gives_a_banner_not_an_error(client, clusters, sims, helpdesk):
    sims[1].set_faults(mode="error502")
    client.force_login(helpdesk)
    response = client.get("/cluster/detail/?cluster=c2")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Cluster Cluster c2 did not answer: The cluster answered with an error: 502" in body
    data = client.get("/cluster/detail/json/?cluster=c2").json()
    assert data["info"] is None and data["errors"][0]["cluster"] == "c2"
    # the other cluster is unaffected
    assert '<td data-field="instance_count">12</td>' in client.get("/cluster/detail/?cluster=c1").content.decode()


def test_refresh_reads_the_cluster_again(client, clusters, sims, helpdesk):
    sim = sims[1]
    client.force_login(helpdesk)
    assert client.get("/cluster/detail/json/?cluster=c2").json()["instance_count"] == 3
    job = sim.run_job("POST", "/2/instances", {"__version__": 1, "mode": "create", "instance_name": "new1.sim1.test",
                                         "disk_template": "plain", "disks": [{"size": 1024}], "nics": [{}],
                                         "os_type": "noop", "pnode": "node1.sim1.test", "start": False,
                                         "name_check": False, "ip_check": False})
    assert job["status"] == "success", job["opresult"]
    assert client.get("/cluster/detail/json/?cluster=c2").json()["instance_count"] == 3  # cached
    assert client.get("/cluster/detail/refresh/?cluster=c2").status_code == 405
    response = client.post("/cluster/detail/refresh/", {"cluster": "c2"})
    assert response.status_code == 302 and response["Location"] == "/cluster/detail/?cluster=c2"
    page = client.get(response["Location"]).content.decode()
    assert '<td data-field="instance_count">4</td>' in page
    assert "The data of Cluster c2 is read again from the cluster." in page
    assert client.post("/cluster/detail/refresh/", {"cluster": "nope"}).status_code == 404


def test_refresh_needs_the_csrf_token(clusters, helpdesk):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(helpdesk)
    assert strict.post("/cluster/detail/refresh/", {"cluster": "c1"}).status_code == 403


def test_cluster_info_in_greek(client, clusters, helpdesk):
    client.force_login(helpdesk)
    body = client.get("/cluster/detail/?cluster=c1", **GREEK).content.decode()
    assert "Πληροφορίες συστάδας" in body and "Έκδοση λογισμικού" in body


# -- clear cache -----------------------------------------------------------------------------------


def test_clear_cache_is_for_superusers_and_post_only(client, clusters, sims, helpdesk, superuser):
    client.force_login(helpdesk)
    assert client.post("/clearcache/").status_code == 403
    assert 'id="clear-cache-form"' not in client.get("/").content.decode()
    client.force_login(superuser)
    assert client.get("/clearcache/").status_code == 405
    assert 'id="clear-cache-form"' in client.get("/").content.decode()


def test_clear_cache_makes_every_page_read_the_clusters_again(client, clusters, sims, superuser):
    client.force_login(superuser)
    assert client.get("/cluster/detail/json/?cluster=c1").json()["instance_count"] == 12
    sims[0].run_job("DELETE", "/2/instances/inst0012.sim0.test")
    assert client.get("/cluster/detail/json/?cluster=c1").json()["instance_count"] == 12  # cached
    response = client.post("/clearcache/", {"next": "/cluster/detail/?cluster=c1"}, follow=True)
    assert response.redirect_chain == [("/cluster/detail/?cluster=c1", 302)]
    body = response.content.decode()
    assert "Caches cleared" in body and '<td data-field="instance_count">11</td>' in body
    # a foreign "next" goes home instead
    assert client.post("/clearcache/", {"next": "https://evil.example.org/"})["Location"] == "/"


def test_clear_cache_sends_a_next_that_is_no_path_home(client, superuser):
    """redirect() takes a bare word for a view's name: "next" must be a path of this site, or home."""
    client.force_login(superuser)
    for odd in ("0", "home", "ganeti:home", "javascript:alert(1)", "//evil.example.org/"):
        assert client.post("/clearcache/", {"next": odd})["Location"] == "/", odd


# -- the instance popup ----------------------------------------------------------------------------


def test_the_instance_popup_shows_owners_and_the_application(client, clusters, sims, helpdesk, user, settings):
    sim = sims[0]
    organization = Organization.objects.create(title="Example University", email="noc@example.edu")
    application = InstanceApplication.objects.create(
        hostname="inst0001.sim0.test", memory=1024, vcpus=1, disk_size=5, operating_system="none",
        organization=organization, admin_contact_name="Carol Contact", admin_contact_email="carol@example.edu",
        applicant=user, status=ApplicationStatus.SUCCESS)
    sim.run_job("PUT", f"/2/instances/inst0001.sim0.test/tags?tag=ganetimgr:application:{application.pk}"
                       "&tag=ganetimgr:service:mail")
    user.first_name, user.last_name = "Alice", "Owner"
    user.save()
    client.force_login(helpdesk)
    url = reverse("ganeti:instance_popup") + "?cluster=c1&instance=inst0001.sim0.test"
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment
    for text in ["alice (Alice Owner)", "alice@example.org", "Example University", "noc@example.edu",
                 "Carol Contact", "carol@example.edu", "mail", "not locked"]:
        assert text in fragment, text
    assert client.get(url).content.decode().count("<html") == 1  # without htmx: a page
    assert client.get(reverse("ganeti:instance_popup") + "?cluster=c1&instance=missing.sim0.test").status_code == 404
