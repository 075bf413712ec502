"""Fixtures of the instance tests: a simulated cluster and the six roles. The plain helpers
(PREFIX, names, tags_of, set_tags) are in tests/ganeti/instance_setup.py; `empty_inventory` is in
tests/conftest.py (the browser suite uses it too). None of these is autouse."""

import pytest
from django.contrib.auth.models import Group, Permission


@pytest.fixture
def sim(simulators):
    """6 instances: inst1, inst3, inst5 owned by alice (user tag); inst5 also by group 'staff'."""
    return simulators(instances=6, owners="alice", owner_groups="staff", seed=3)


@pytest.fixture
def cluster(sim, cluster_on):
    return cluster_on(sim, "c1")


@pytest.fixture
def roles(django_user_model, user):
    """anonymous (None), other, owner (user tag: alice), group_owner (member of 'staff'), helpdesk, superuser."""
    staff = Group.objects.create(name="staff")
    group_owner = django_user_model.objects.create_user("gina", "gina@example.org", "gina-secret-pw")
    group_owner.groups.add(staff)
    helpdesk = django_user_model.objects.create_user("hal", "hal@example.org", "hal-secret-pw")
    helpdesk.user_permissions.add(Permission.objects.get(codename="view_instances"))
    return {
        "anonymous": None,
        "other": django_user_model.objects.create_user("oscar", "oscar@example.org", "oscar-secret-pw"),
        "owner": user,
        "group_owner": group_owner,
        "helpdesk": helpdesk,
        "superuser": django_user_model.objects.create_superuser("root", "root@example.org", "root-secret-pw"),
    }
