"""Statistics: each user sees their own numbers, helpdesk the platform's; the figures match what the
simulated clusters and the database hold; a dead cluster is named in a banner and the rest is shown."""

import pytest
from django.urls import reverse

from apply.models import InstanceApplication, Organization
from tests.helpers import add_cluster, free_port

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

PREFIX = "ganetimgr"


def rows_of(sim):
    return sim.request("GET", "/2/instances?bulk=1")[1]


def owned(rows, kind, name):
    return [row for row in rows if f"{PREFIX}:{kind}:{name}" in row["tags"]]


def figures(rows):
    return {"instances": len(rows), "memory": sum(row["beparams"]["maxmem"] for row in rows),
            "vcpus": sum(row["beparams"]["vcpus"] for row in rows), "disk": sum(sum(row["disk.sizes"]) for row in rows)}


def application(user, hostname):
    return InstanceApplication.objects.create(hostname=hostname, memory=1024, vcpus=1, disk_size=5,
                                              operating_system="debian", comments="test", applicant=user)


def test_a_user_sees_only_their_own_numbers(client, two_sims, clusters, people):
    all_rows = rows_of(two_sims[0]) + rows_of(two_sims[1])
    application(people["alice"], "a1.example.org")
    application(people["alice"], "a2.example.org")
    application(people["bob"], "b1.example.org")
    for name, own_applications in (("alice", 2), ("bob", 1)):
        mine = figures(owned(all_rows, "user", name))
        assert mine["instances"] > 0
        client.force_login(people[name])
        page = client.get(reverse("stats:index"))
        assert page.status_code == 200
        assert page.context["totals"]["instances"] == mine["instances"]
        assert {key: page.context["totals"][key] for key in mine} == mine
        body = page.content.decode()
        assert f'id="your-instances">{mine["instances"]}<' in body
        assert 'id="platform-stats"' not in body and 'id="owner-table"' not in body
        # The JSON agrees, and holds nothing of the others.
        owners = client.get(reverse("stats:owners")).json()
        assert [(row["kind"], row["owner"]) for row in owners["rows"]] == [("user", name)]
        assert {key: owners["rows"][0][key] for key in mine} == mine
        history = client.get(reverse("stats:instances")).json()
        assert history["scope"] == "own"
        assert sum(cluster["points"][-1]["count"] for cluster in history["clusters"]) == mine["instances"]
        applications = client.get(reverse("stats:applications")).json()
        assert applications == {"scope": "own", "total": own_applications, "points": applications["points"]}
        assert applications["points"][-1]["count"] == own_applications
        assert client.get(reverse("stats:vms_cluster", args=["c1"])).status_code == 403


def test_a_group_member_counts_the_group_instances(client, two_sims, clusters, people):
    staff = figures(owned(rows_of(two_sims[0]), "group", "staff"))
    assert staff["instances"] == 1
    client.force_login(people["gina"])
    assert client.get(reverse("stats:index")).context["totals"]["instances"] == 1
    rows = client.get(reverse("stats:owners")).json()["rows"]
    assert [(row["kind"], row["owner"], row["instances"]) for row in rows] == [("group", "staff", 1)]


def test_helpdesk_sees_the_platform(client, django_user_model, two_sims, clusters, people):
    first, second = two_sims
    all_rows = rows_of(first) + rows_of(second)
    application(people["alice"], "a1.example.org")
    application(people["bob"], "b1.example.org")
    Organization.objects.create(title="Example University")
    client.force_login(people["hal"])
    page = client.get(reverse("stats:index"))
    assert page.status_code == 200
    assert page.context["counters"] == {
        "clusters": 2, "instances": len(all_rows), "applications": 2,
        "users": django_user_model.objects.filter(is_active=True).count(), "groups": 1, "organizations": 1,
    }
    body = page.content.decode()
    assert f'data-counter="instances">{len(all_rows)}<' in body
    # Running and stopped per cluster, as the clusters say; the JSON of one cluster agrees.
    for sim, slug in ((first, "c1"), (second, "c2")):
        running = sum(1 for row in rows_of(sim) if row["status"] == "running")
        state = next(row for row in page.context["states"] if row["slug"] == slug)
        assert (state["running"], state["stopped"]) == (running, len(rows_of(sim)) - running)
        answer = client.get(reverse("stats:vms_cluster", args=[slug])).json()
        assert answer["instances"] == {"up": running, "down": len(rows_of(sim)) - running}
    assert client.get(reverse("stats:vms_cluster", args=["nosuch"])).status_code == 404
    # Every cluster's creations: the last cumulative counts add up to every instance.
    history = client.get(reverse("stats:instances")).json()
    assert history["scope"] == "platform"
    assert {c["slug"]: c["points"][-1]["count"] for c in history["clusters"]} == {"c1": 6, "c2": 4}
    assert client.get(reverse("stats:applications")).json()["total"] == 2


def test_per_owner_table_sums_sorts_and_pages(client, two_sims, clusters, people, monkeypatch):
    all_rows = rows_of(two_sims[0]) + rows_of(two_sims[1])
    client.force_login(people["hal"])
    owners = client.get(reverse("stats:owners")).json()
    expected = {("user", "alice"): figures(owned(all_rows, "user", "alice")),
                ("user", "bob"): figures(owned(all_rows, "user", "bob")),
                ("group", "staff"): figures(owned(all_rows, "group", "staff"))}
    got = {(row["kind"], row["owner"]): {key: row[key] for key in ("instances", "memory", "vcpus", "disk")}
           for row in owners["rows"]}
    assert got == expected
    assert owners["sort"] == "-instances" and owners["total"] == 3
    alice = next(row for row in owners["rows"] if row["owner"] == "alice")
    assert alice["memory_per_vm"] == round(alice["memory"] / alice["instances"], 1)
    # Sorted on the server, either way; an unknown column falls back to the default.
    by_memory = client.get(reverse("stats:owners"), {"sort": "memory"}).json()["rows"]
    assert [row["memory"] for row in by_memory] == sorted(row["memory"] for row in by_memory)
    by_name = client.get(reverse("stats:owners"), {"sort": "-owner"}).json()["rows"]
    assert [row["owner"] for row in by_name] == ["staff", "bob", "alice"]
    assert client.get(reverse("stats:owners"), {"sort": "password"}).json()["sort"] == "-instances"
    # Paginated on the server: one owner a page.
    monkeypatch.setattr("stats.selectors.OWNERS_PER_PAGE", 1)
    second = client.get(reverse("stats:owners"), {"sort": "owner", "page": 2}).json()
    assert (second["page"], second["pages"], [row["owner"] for row in second["rows"]]) == (2, 3, ["bob"])
    # The page's table is the same, and htmx gets the table alone.
    fragment = client.get(reverse("stats:index"), {"sort": "owner", "page": 3},
                          headers={"HX-Request": "true", "HX-Target": "owner-table"}).content.decode()
    assert fragment.lstrip().startswith('<div id="owner-table"') and 'data-owner="group:staff"' in fragment
    assert "<html" not in fragment


def test_a_dead_cluster_is_named_and_the_rest_shown(client, two_sims, clusters, people):
    dead = add_cluster(two_sims[0], "dead", port=free_port())
    dead.description = "Dead cluster"
    dead.save()
    for who in ("alice", "hal"):
        client.force_login(people[who])
        page = client.get(reverse("stats:index"))
        assert page.status_code == 200
        body = page.content.decode()
        assert "Cluster Dead cluster did not answer" in body
        if who == "alice":
            assert page.context["totals"]["instances"] == 4
        else:
            assert page.context["counters"]["instances"] == 10 and page.context["counters"]["clusters"] == 3
        errors = client.get(reverse("stats:instances")).json()["errors"]
        assert [error["cluster"] for error in errors] == ["dead"]
    client.force_login(people["hal"])
    assert client.get(reverse("stats:vms_cluster", args=["dead"])).status_code == 503
    assert client.get(reverse("stats:vms_cluster", args=["c1"])).status_code == 200


def test_statistics_need_a_login(client, clusters):
    for name, args in (("stats:index", []), ("stats:owners", []), ("stats:instances", []),
                       ("stats:applications", []), ("stats:vms_cluster", ["c1"])):
        answer = client.get(reverse(name, args=args))
        assert answer.status_code == 302 and "/user/login/" in answer["Location"]


def test_the_page_in_greek(client, two_sims, clusters, people):
    client.force_login(people["hal"])
    body = client.get(reverse("stats:index"), headers={"Accept-Language": "el"}).content.decode()
    for text in ("Στατιστικά", "Εικονικές μηχανές", "Πόροι ανά κάτοχο"):
        assert text in body
    for english in ("Your statistics", "Platform statistics", "Resources per owner", "Show the numbers"):
        assert english not in body
