"""Every GET page and JSON endpoint of issue 7 (cluster info, nodes, jobs, the instance popup, graphs,
notifications, statistics, user and group info, news) asked with odd query parameters by a helpdesk
user (who may also see every graph and the notification archive): an answer, never a server error."""

from contextlib import ExitStack

import pytest
from django.contrib.auth.models import Group, Permission

from notifications.models import Notification
from tests.ganeti.infrastructure_setup import make_helpdesk, register_clusters, start_simulators

pytestmark = [pytest.mark.django_db, pytest.mark.integration, pytest.mark.usefixtures("empty_inventory")]

HUGE = "9" * 40
ODD_VALUES = ["-1", "abc", "99999", "0", HUGE, "ελληνικά", "%00", "1e9", "", "../../etc/passwd", "x" * 3000]

# path -> the parameters it reads (each is tried with every odd value, alone and all together)
ENDPOINTS = {
    "/cluster/detail/": ["cluster"],
    "/cluster/detail/json/": ["cluster"],
    "/cluster/nodes/": ["q", "cluster", "role", "page"],
    "/cluster/jnodes/": ["q", "cluster", "role", "page"],
    "/cluster/popup/": ["cluster", "instance"],
    "/cluster/jobdetails/": ["cluster", "jobid"],
    "/jobs/": ["status", "cluster", "page"],
    "/jobs/json/": ["status", "cluster", "page"],
    "/graph/all/": ["cluster"],
    "/graph/c0/instances/": ["nodes"],
    "/graph/c0/inst0001.sim0.test/cpu-ts/": ["start", "end"],
    "/graph/c0/inst0001.sim0.test/net-ts/": ["start", "end", "nic"],
    "/notifications/": ["to", "page"],
    "/notifications/usergrps/": ["q", "type"],
    "/notifications/archive/{notification}/": ["page"],
    "/stats/": ["sort", "page"],
    "/stats/applications/": ["page"],
    "/stats/instances/": ["page"],
    "/stats/vms_cluster/c0/": ["page"],
    "/instances/stats/json/": ["sort", "page"],
    "/user/info/user/hal/": ["page"],
    "/user/info/group/staff/": ["page"],
    "/news/": ["page"],
}
# Odd path segments of the routes that take them.
ODD_PATHS = [
    "/stats/vms_cluster/nope/", "/stats/vms_cluster/ελληνικά/", f"/graph/{HUGE}/instances/",
    "/graph/c0/nope.example/cpu-ts/", "/graph/c0/inst0001.sim0.test/bogus/", "/notifications/archive/999999/",
    f"/notifications/archive/{HUGE}/", "/user/info/user/nobody/", "/user/info/group/ελληνικά/",
    "/user/info/user/%00/",
]


@pytest.fixture(scope="module")
def sims(tmp_path_factory):
    with ExitStack() as stack:
        yield start_simulators(stack, tmp_path_factory.mktemp("sims"), 2, nodes=2, instances=3, jobs=5)


@pytest.fixture
def helpdesk(client, django_user_model, sims, settings):
    settings.COLLECTD_URL = "http://127.0.0.1:9/"  # nothing listens: the NODATA image
    register_clusters(sims)
    user = make_helpdesk(django_user_model)
    user.user_permissions.add(Permission.objects.get(codename="view_all_graphs"),
                              Permission.objects.get(codename="can_view_notif"))
    Group.objects.create(name="staff").user_set.add(user)
    client.force_login(user)
    return user


def requests(params: list[str]) -> list[tuple[str, dict]]:
    """(query, headers): each parameter alone with each odd value; then several at once, as a page and as
    the htmx fragment the page swaps in."""
    cases = [(f"{param}={value}", {}) for value in ODD_VALUES for param in params]
    together = ["&".join(f"{param}={ODD_VALUES[(index + shift) % len(ODD_VALUES)]}"
                         for index, param in enumerate(params)) for shift in range(0, len(ODD_VALUES), 3)]
    together.append("status=bogus&jobid=abc&page=-1&cluster=nope&type=bogus&role=bogus&sort=bogus")
    for query in together:
        cases += [(query, {}), (query, {"HTTP_HX_REQUEST": "true"})]
    return cases


@pytest.mark.parametrize("path", sorted(ENDPOINTS))
def test_odd_query_parameters_never_give_a_server_error(client, helpdesk, path):
    notification = Notification.objects.create(sender=helpdesk, subject="Maintenance", body="Hello")
    target = path.format(notification=notification.pk)
    failures = []
    for query, headers in requests(ENDPOINTS[path]):
        response = client.get(f"{target}?{query}", **headers)
        if response.status_code >= 500:
            failures.append((query, headers, response.status_code))
    assert failures == []


def test_odd_path_segments_never_give_a_server_error(client, helpdesk):
    statuses = {path: client.get(path).status_code for path in ODD_PATHS}
    assert {path: status for path, status in statuses.items() if status >= 500} == {}
    assert all(status in (400, 404) for status in statuses.values()), statuses
