"""Every instance-scoped route × six roles × GET/POST: the expected status, and no effect on the cluster
when denied. A guard walks the URLconf and fails when such a route has no row here.

Rows: (url name, method, {role: status}, effect). Roles: anonymous, other (a user owning nothing),
owner (user tag), group_owner (member of a group in a group tag), helpdesk (perm view_instances),
superuser. `effect` names what an allowed request changes on the cluster ("job": a job is submitted);
for a denied one, the test checks the simulator's jobs and the instance's tags did not change.
"""

import pytest
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from ganeti.rapi import inventory
from tests.ganeti.instance_setup import names, tags_of
from tests.helpers import add_cluster

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

ROLES = ("anonymous", "other", "owner", "group_owner", "helpdesk", "superuser")
LOGIN = 302  # anonymous: to the login page


def statuses(anonymous, other, owner, group_owner, helpdesk, superuser):
    return dict(zip(ROLES, (anonymous, other, owner, group_owner, helpdesk, superuser)))


VIEW_GET = statuses(LOGIN, 404, 200, 200, 200, 200)
NOT_ALLOWED = statuses(LOGIN, 405, 405, 405, 405, 405)
OPERATE_POST = statuses(LOGIN, 404, 302, 302, 403, 302)
# -- instance changes
CHANGE_GET = statuses(LOGIN, 404, 200, 200, 403, 200)
MAIL_POST = statuses(LOGIN, 404, 302, 302, 403, 302)
CHANGE_EMPTY_POST = statuses(LOGIN, 404, 400, 400, 403, 400)
ADMIN_GET = statuses(LOGIN, 404, 403, 403, 403, 200)       # helpdesk here lacks can_lock/can_isolate
ADMIN_POST = statuses(LOGIN, 404, 403, 403, 403, 302)

MATRIX = [
    # (url name, method, expected statuses, effect of an allowed request)
    ("instance_detail", "GET", VIEW_GET, None),
    ("instance_detail", "POST", NOT_ALLOWED, None),
    ("instance_poll", "GET", VIEW_GET, None),
    ("instance_poll", "POST", NOT_ALLOWED, None),
    ("instance_startup", "GET", NOT_ALLOWED, None),
    ("instance_startup", "POST", OPERATE_POST, "job"),
    ("instance_shutdown", "GET", NOT_ALLOWED, None),
    ("instance_shutdown", "POST", OPERATE_POST, "job"),
    ("instance_reboot", "GET", NOT_ALLOWED, None),
    ("instance_reboot", "POST", OPERATE_POST, "job"),
    # -- rows of instance changes below
    ("instance_reinstall", "GET", CHANGE_GET, None),
    ("instance_reinstall", "POST", MAIL_POST, None),       # mails a link: nothing on the cluster yet
    ("instance_destroy", "GET", CHANGE_GET, None),
    ("instance_destroy", "POST", MAIL_POST, None),
    ("instance_destroy", "DELETE", statuses(LOGIN, 404, 200, 200, 403, 200), None),
    ("instance_rename", "GET", CHANGE_GET, None),
    ("instance_rename", "POST", CHANGE_EMPTY_POST, None),  # the instance runs and no name is given: 400
    ("instance_config", "GET", CHANGE_GET, None),
    ("instance_config", "POST", CHANGE_EMPTY_POST, None),
    ("instance_owners", "GET", CHANGE_GET, None),
    # an empty list of owners: refused (400) but for a superuser, who may leave an instance ownerless
    ("instance_owners", "POST", statuses(LOGIN, 404, 400, 400, 403, 302), "job"),
    ("instance_lock", "GET", ADMIN_GET, None),
    ("instance_lock", "POST", ADMIN_POST, None),            # "not locked" when it is not: nothing to do
    ("instance_isolate", "GET", ADMIN_GET, None),
    ("instance_isolate", "POST", ADMIN_POST, None),
    # the e-mailed link, made anew for each role by the owner (alice): only she may use it
    ("instance_action_confirm", "GET", statuses(LOGIN, 404, 200, 403, 403, 403), None),
    ("instance_action_confirm", "POST", statuses(LOGIN, 404, 302, 403, 403, 403), "job"),
    # -- graphs: helpdesk sees the instance but not its graphs (no perm view_all_graphs); without
    # COLLECTD_URL the allowed roles get the NODATA image
    ("instance_graph", "GET", statuses(LOGIN, 404, 200, 200, 403, 200), None),
    ("instance_graph", "POST", NOT_ALLOWED, None),
    # -- end graphs
    # -- console: the page, and the JSON token (a running instance; the token goes to Redis only)
    ("instance_console", "GET", statuses(LOGIN, 404, 200, 200, 403, 200), None),
    ("instance_console", "POST", NOT_ALLOWED, None),
    ("instance_console_token", "GET", NOT_ALLOWED, None),
    ("instance_console_token", "POST", statuses(LOGIN, 404, 200, 200, 403, 200), None),
    # -- end console
    # -- OAuth2 API: a session alone never authorises it (JSON 401, no login redirect); tests/api/
    # covers what tokens may do.
    ("api:instance", "GET", statuses(401, 401, 401, 401, 401, 401), None),
    ("api:instance", "POST", statuses(401, 401, 401, 401, 401, 401), None),
    ("api:instance_action", "GET", statuses(401, 401, 401, 401, 401, 401), None),
    ("api:instance_action", "POST", statuses(401, 401, 401, 401, 401, 401), None),
    # -- end OAuth2 API
]
# Namespaced routes (another app's) are named with their namespace; the URL arguments a route takes
# after cluster and instance.
ROUTE_ARGS = {"instance_graph": ["cpu-ts"], "api:instance_action": ["reboot"]}

# Routes whose pattern names no cluster/instance but a confirmation token: also instance-scoped.
TOKEN_ROUTES = {"instance_action_confirm"}


def _stopped(sim, name):
    if sim.request("GET", f"/2/instances/{name}")[1]["status"] == "running":
        sim.run_job("PUT", f"/2/instances/{name}/shutdown")


# What a route needs of the instance before each role's request: starting a running instance is
# refused (409), so the start row acts on a stopped one.
PREPARE = {"instance_startup": _stopped}


def confirmation_link(cluster, name, requester) -> str:
    """A fresh pending reinstall link of `requester` for the instance."""
    from datetime import timedelta

    from django.utils import timezone

    from ganeti.models import InstanceActionRequest
    from ganeti.services import _token_hash

    token = f"matrix-{InstanceActionRequest.objects.count()}"
    InstanceActionRequest.objects.create(user=requester, cluster=cluster, instance_name=name, action="reinstall",
                                         token_hash=_token_hash(token), expires_at=timezone.now() + timedelta(days=1))
    return reverse("ganeti:instance_action_confirm", args=[token])


@pytest.fixture
def cluster(simulators):
    # Jobs end at once, so that one role's job never holds the lock for the next role's request.
    sim = simulators(instances=6, owners="alice", owner_groups="staff", seed=3, job_duration_ms=0)
    return sim, add_cluster(sim, "c1")


def cluster_effects(sim, name):
    return len(sim.request("GET", "/2/jobs")[1]), tags_of(sim, name)


def fresh():
    cache.clear()
    inventory._built.clear()


@pytest.mark.parametrize("route, method, expected, effect", MATRIX, ids=[f"{row[0]}-{row[1]}" for row in MATRIX])
def test_matrix(client, cluster, roles, route, method, expected, effect):
    sim, cluster = cluster
    name = names(sim)[4]  # owned by alice (user tag) and by the group staff
    target = None if route in TOKEN_ROUTES else reverse(route if ":" in route else f"ganeti:{route}",
                                                         args=[cluster.slug, name, *ROUTE_ARGS.get(route, [])])
    for role in ROLES:
        if route in PREPARE:
            PREPARE[route](sim, name)
        fresh()
        if route in TOKEN_ROUTES:
            target = confirmation_link(cluster, name, roles["owner"])
        client.logout()
        if roles[role] is not None:
            client.force_login(roles[role])
        before = cluster_effects(sim, name)
        answer = getattr(client, method.lower())(target)
        assert answer.status_code == expected[role], (role, answer.status_code)
        after = cluster_effects(sim, name)
        if answer.status_code >= 300 and answer.status_code != 302 or role == "anonymous":
            assert after == before, f"{role} was refused, yet the cluster changed"
        elif effect == "job":
            assert after[0] > before[0], f"{role} was allowed, yet no job was submitted"
        if role == "anonymous" and expected[role] == LOGIN:
            assert "/user/login/" in answer["Location"]


def test_a_missing_instance_and_an_unknown_cluster_answer_404_like_a_hidden_one(client, cluster, roles):
    sim, cluster = cluster
    for role in ("other", "owner", "helpdesk", "superuser"):
        client.force_login(roles[role])
        for args in ([cluster.slug, "nosuch.example.org"], ["nosuch", names(sim)[4]]):
            assert client.get(reverse("ganeti:instance_detail", args=args)).status_code == 404
            assert client.post(reverse("ganeti:instance_reboot", args=args)).status_code == 404


def test_no_shared_permission_cache_between_a_helpdesk_user_and_a_normal_user(client, cluster, roles):
    """The original cached permission answers across users; here the same warm snapshot serves a
    helpdesk user and a normal user in turns, and each sees only what is theirs."""
    sim, cluster = cluster
    name = names(sim)[1]  # owned by nobody
    detail = reverse("ganeti:instance_detail", args=[cluster.slug, name])
    listing = reverse("ganeti:instances_json")
    for _round in range(2):
        client.force_login(roles["helpdesk"])
        assert client.get(detail).status_code == 200
        assert client.get(listing).json()["total"] == 6
        client.force_login(roles["other"])
        assert client.get(detail).status_code == 404
        assert client.get(listing).json()["total"] == 0
        client.force_login(roles["owner"])
        assert client.get(detail).status_code == 404
        assert client.get(listing).json()["total"] == 3


def _routes(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield entry.name, prefix + str(entry.pattern)


def test_every_instance_scoped_route_has_a_row():
    covered = {row[0].rsplit(":", 1)[-1] for row in MATRIX}  # URL names without their namespace
    scoped = {name for name, pattern in _routes(get_resolver())
              if ("<str:cluster>" in pattern and "<str:instance>" in pattern) or name in TOKEN_ROUTES
              or "<str:token>" in pattern and "instance" in pattern}
    assert scoped >= {"instance_detail", "instance_reboot"}  # the walk finds them at all
    missing = sorted(scoped - covered)
    assert not missing, f"instance-scoped routes without a row in the permission matrix: {missing}"
    for name in covered:
        methods = {row[1] for row in MATRIX if row[0].rsplit(":", 1)[-1] == name}
        assert methods >= {"GET", "POST"}, f"{name}: both GET and POST need a row"
