"""Instance graphs: the proxy to the grapher behind COLLECTD_URL (a real local HTTP server here),
who may see which graph, every upstream failure and every bad parameter giving the NODATA image, and
the batch graphs pages."""

import time

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from ganeti import graphs
from tests.ganeti.grapher_server import PNG, Grapher
from tests.ganeti.instance_setup import names

pytestmark = [pytest.mark.django_db, pytest.mark.integration, pytest.mark.usefixtures("empty_inventory")]


@pytest.fixture(scope="module")
def grapher():
    server = Grapher()
    yield server
    server.stop()


@pytest.fixture
def graphing(grapher, settings):
    grapher.mode, grapher.paths[:] = "png", []
    settings.COLLECTD_URL = grapher.url
    settings.GRAPH_TIMEOUT = 1
    return grapher


@pytest.fixture
def graph_viewer(django_user_model):
    """Neither owner nor helpdesk: only perm ganeti.view_all_graphs."""
    viewer = django_user_model.objects.create_user("vera", "vera@example.org", "vera-secret-pw")
    viewer.user_permissions.add(Permission.objects.get(codename="view_all_graphs"))
    return viewer


def graph(cluster, name, kind="cpu-ts"):
    return reverse("ganeti:instance_graph", args=[cluster.slug, name, kind])


def nodata():
    return graphs.nodata_image()[0]


def test_the_owner_gets_the_graphers_image_from_the_right_path(client, sim, cluster, roles, graphing):
    name = names(sim)[4]
    start, end = str(int(time.time()) - 2 * 86400), str(int(time.time()) - 86400)
    client.force_login(roles["owner"])
    answer = client.get(graph(cluster, name), {"start": start, "end": end})
    assert answer.status_code == 200 and answer["Content-Type"] == "image/png" and answer.content == PNG
    assert "X-Graph" not in answer and "private" in answer["Cache-Control"]
    answer = client.get(graph(cluster, name, "net-ts"), {"start": start, "end": end, "nic": "0"})
    assert answer.content == PNG
    assert graphing.paths == [f"/graphs/{name}/cpu-ts.png/{start},{end}", f"/graphs/{name}/net-ts.png/{start},{end}/eth0"]
    # No range: the last 24 hours.
    client.get(graph(cluster, name))
    start, end = map(int, graphing.paths[-1].rsplit("/", 1)[1].split(","))
    assert end - start == 86400 and abs(end - time.time()) < 60


def test_who_may_see_an_instances_graphs(client, sim, cluster, roles, graph_viewer, graphing):
    owned, unowned = names(sim)[4], names(sim)[1]
    expected = {"other": 404, "owner": 200, "group_owner": 200, "helpdesk": 403, "superuser": 200}
    for role, status in expected.items():
        client.force_login(roles[role])
        assert client.get(graph(cluster, owned)).status_code == status, role
    client.force_login(graph_viewer)
    assert client.get(graph(cluster, unowned)).content == PNG
    client.force_login(roles["owner"])
    assert client.get(graph(cluster, unowned)).status_code == 404
    assert client.get(graph(cluster, "nosuch.example.org")).status_code == 404
    client.logout()
    assert "/user/login/" in client.get(graph(cluster, owned))["Location"]
    assert len(graphing.paths) == 4  # three allowed roles and the graph viewer: nobody else reached the grapher


def test_every_upstream_failure_gives_the_nodata_image(client, sim, cluster, roles, graphing, settings):
    client.force_login(roles["owner"])
    for mode in ("error", "hang", "text", "svg", "down"):
        graphing.mode, graphing.hang_seconds = mode, 5
        if mode == "down":
            settings.COLLECTD_URL = "http://127.0.0.1:9/graphs"
        started = time.monotonic()
        answer = client.get(graph(cluster, names(sim)[4]))
        assert time.monotonic() - started < 4, mode  # GRAPH_TIMEOUT is 1 s
        assert answer.status_code == 200 and answer["X-Graph"] == "nodata", mode
        assert answer["Content-Type"] == "image/png" and answer.content == nodata(), mode
        assert "no-store" in answer["Cache-Control"]


BAD_PARAMETERS = [
    ("mem-ts", {}),
    ("cpu-ts", {"start": "yesterday"}),
    ("cpu-ts", {"start": "-5"}),
    ("cpu-ts", {"start": "1700086400", "end": "1700000000"}),
    ("cpu-ts", {"end": str(int(time.time()) + 10 * 86400)}),
    ("cpu-ts", {"start": str(int(time.time()) - 1000 * 86400)}),
    ("cpu-ts", {"nic": "0"}),
    ("net-ts", {"nic": "1"}),            # the instance has one interface
    ("net-ts", {"nic": "../../etc"}),
    ("cpu-ts", {"start": "1" * 40}),
]


def test_bad_parameters_answer_400_with_the_nodata_image(client, sim, cluster, roles, graphing):
    client.force_login(roles["owner"])
    for kind, params in BAD_PARAMETERS:
        answer = client.get(graph(cluster, names(sim)[4], kind), params)
        assert answer.status_code == 400 and answer.content == nodata(), (kind, params)
    assert graphing.paths == []


def test_without_collectd_url_no_graph_is_fetched_or_shown(client, sim, cluster, roles, settings, grapher):
    settings.COLLECTD_URL = ""
    grapher.paths[:] = []
    name = names(sim)[4]
    client.force_login(roles["owner"])
    assert client.get(graph(cluster, name)).content == nodata()
    assert grapher.paths == []
    page = client.get(reverse("ganeti:instance_detail", args=[cluster.slug, name])).content.decode()
    assert 'id="instance-graphs"' not in page


def test_the_instance_page_shows_its_graphs(client, sim, cluster, roles, graphing):
    name = names(sim)[4]
    detail = reverse("ganeti:instance_detail", args=[cluster.slug, name])
    client.force_login(roles["owner"])
    page = client.get(detail).content.decode()
    assert 'id="instance-graphs"' in page
    assert f'src="{graph(cluster, name)}"' in page and f'src="{graph(cluster, name, "net-ts")}?nic=0"' in page
    for preset in ("today", "yesterday", "7", "30"):
        assert f'data-preset="{preset}"' in page
    client.force_login(roles["helpdesk"])  # sees the instance, not its graphs
    assert 'id="instance-graphs"' not in client.get(detail).content.decode()


def test_batch_graphs(client, sim, cluster, roles, graph_viewer, graphing):
    rows = sim.request("GET", "/2/instances?bulk=1")[1]
    node = rows[0]["pnode"]
    on_node = sorted(row["name"] for row in rows if row["pnode"] == node)
    for role in ("owner", "helpdesk"):
        client.force_login(roles[role])
        assert client.get(reverse("ganeti:graphs_all")).status_code == 403
        assert client.get(reverse("ganeti:cluster_graphs", args=[cluster.slug])).status_code == 403
    client.force_login(graph_viewer)
    picker = client.get(reverse("ganeti:graphs_all"), {"cluster": cluster.slug}).content.decode()
    assert f'value="{node}"' in picker
    assert f'action="{reverse("ganeti:cluster_graphs", args=[cluster.slug])}"' in picker
    page = client.get(reverse("ganeti:cluster_graphs", args=[cluster.slug]), {"nodes": f"{node},nosuch"})
    assert page.status_code == 200
    groups = page.context["groups"]
    assert [group[0] for group in groups] == [node]
    assert [row["instance"].name for row in groups[0][1]] == on_node
    assert page.context["missing"] == ["nosuch"]
    everything = client.get(reverse("ganeti:cluster_graphs", args=[cluster.slug])).context["groups"]
    assert sum(len(group[1]) for group in everything) == len(rows)
    assert client.get(reverse("ganeti:cluster_graphs", args=["nosuch"])).status_code == 404
    assert graphing.paths == []  # the pages themselves fetch no graph
