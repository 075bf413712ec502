"""Fixtures of the statistics tests: two simulated clusters started once for the module, their
Cluster rows made anew for each test (the database is per test), and the users who own the instances."""

import pytest
from django.contrib.auth.models import Group, Permission

from tests.helpers import add_cluster
from tests.simulator import start_simulator


@pytest.fixture(scope="module")
def two_sims(tmp_path_factory):
    """c1: 6 instances, alice owns 1 and 4, bob 2 and 5 (3 and 6 unowned), group staff owns 5;
    c2: 4 instances, alice owns 1 and 3."""
    tmp = tmp_path_factory.mktemp("stats-sims")
    first = start_simulator(tmp, instances=6, owners="alice,bob", owner_groups="staff", seed=11, cluster_name="one.example.org")
    second = start_simulator(tmp, instances=4, owners="alice", seed=12, cluster_name="two.example.org")
    yield first, second
    first.stop()
    second.stop()


@pytest.fixture
def clusters(two_sims, db, empty_inventory):
    first, second = two_sims
    return add_cluster(first, "c1"), add_cluster(second, "c2")


@pytest.fixture
def people(django_user_model, user):
    """alice (the `user` fixture), bob, hal (helpdesk: perm view_instances), gina (member of staff)."""
    bob = django_user_model.objects.create_user("bob", "bob@example.org", "bob-secret-pw")
    hal = django_user_model.objects.create_user("hal", "hal@example.org", "hal-secret-pw")
    hal.user_permissions.add(Permission.objects.get(codename="view_instances"))
    gina = django_user_model.objects.create_user("gina", "gina@example.org", "gina-secret-pw")
    gina.groups.add(Group.objects.create(name="staff"))
    return {"alice": user, "bob": bob, "hal": hal, "gina": gina}
