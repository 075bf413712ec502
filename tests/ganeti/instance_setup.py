"""Shared ground of the instance tests (H4a): a simulated cluster, the six roles, helpers."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache

from ganeti.rapi import inventory
from ganeti.selectors import _derived, _owned
from ganeti.views.instances import _row_html

PREFIX = "ganetimgr"


@pytest.fixture(autouse=True)
def empty_inventory():
    cache.clear()
    inventory._built.clear()
    _derived.clear()
    _owned.clear()
    _row_html.clear()
    yield
    cache.clear()


@pytest.fixture
def sim(simulators):
    """6 instances: inst1, inst3, inst5 owned by alice (user tag); inst5 also by group 'staff'."""
    return simulators(instances=6, owners="alice", owner_groups="staff", seed=3)


@pytest.fixture
def cluster(sim, cluster_on):
    return cluster_on(sim, "c1")


def names(sim):
    return sorted(row["name"] for row in sim.request("GET", "/2/instances?bulk=1")[1])


def tags_of(sim, name):
    return sorted(sim.request("GET", f"/2/instances/{name}/tags")[1])


def set_tags(sim, name, add=(), remove=()):
    from urllib.parse import urlencode

    if add:
        sim.run_job("PUT", f"/2/instances/{name}/tags?" + urlencode([("tag", tag) for tag in add]))
    if remove:
        sim.run_job("DELETE", f"/2/instances/{name}/tags?" + urlencode([("tag", tag) for tag in remove]))
    cache.clear()
    inventory._built.clear()


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
