"""Fixtures of the notification tests: two simulated clusters started once per module, and the
people who own their instances.

c1 (8 instances, nodes node1-3, node groups default = node1+node3 and group2 = node2):
    alice: inst0001, inst0004, inst0007; bob: inst0002, inst0005, inst0008; group staff: inst0005;
    inst0003 and inst0006 have no owner.
c2 (5 instances, nodes node1-2 with the same names as c1's, one node group):
    bob: inst0001, inst0003, inst0005; group staff: inst0005; inst0002 and inst0004 have no owner.
Group staff: gina (an address), nemo (no address), ivan (not active)."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, Permission

from tests.simulator import start_simulator

C1 = {"instances": 8, "owners": "alice,bob", "owner_groups": "staff", "nodes": 3, "groups": 2, "seed": 1}
C2 = {"instances": 5, "owners": "bob", "owner_groups": "staff", "nodes": 2, "seed": 2}


def name(number: int) -> str:
    return f"inst{number:04d}.ganeti.test"


@pytest.fixture(scope="module")
def sims(tmp_path_factory):
    """The two simulators, for every test of a module (the tests only read from them)."""
    path = tmp_path_factory.mktemp("notification-sims")
    one = start_simulator(path, **C1)
    try:
        two = start_simulator(path, **C2)
    except BaseException:
        one.stop()
        raise
    yield one, two
    one.stop()
    two.stop()


@pytest.fixture
def clusters(sims, cluster_on, empty_inventory):
    return cluster_on(sims[0], "c1"), cluster_on(sims[1], "c2")


@pytest.fixture
def people(django_user_model, user):
    """Without passwords (hashing one costs most of a second): the tests log them in with force_login."""
    create = django_user_model.objects.create_user
    staff = Group.objects.create(name="staff")
    bob = create("bob", "bob@example.org", first_name="Bob", last_name="Builder")
    gina = create("gina", "gina@example.org")
    nemo = create("nemo", "")
    ivan = create("ivan", "ivan@example.org", is_active=False)
    staff.user_set.add(gina, nemo, ivan)
    hal = create("hal", "hal@example.org")
    hal.user_permissions.add(Permission.objects.get(codename="view_instances"))
    archie = create("archie", "archie@example.org")
    archie.user_permissions.add(Permission.objects.get(codename="can_view_notif"))
    return SimpleNamespace(alice=user, bob=bob, gina=gina, nemo=nemo, ivan=ivan, staff=staff, hal=hal, archie=archie,
                           other=create("oscar", "oscar@example.org"))
