"""Helpers of the instance tests. Their fixtures (sim, cluster, roles) are in tests/ganeti/conftest.py,
empty_inventory in tests/conftest.py."""

from urllib.parse import urlencode

from django.core.cache import cache

from ganeti.rapi import inventory

PREFIX = "ganetimgr"


def names(sim):
    return sorted(row["name"] for row in sim.request("GET", "/2/instances?bulk=1")[1])


def tags_of(sim, name):
    return sorted(sim.request("GET", f"/2/instances/{name}/tags")[1])


def set_tags(sim, name, add=(), remove=()):
    if add:
        sim.run_job("PUT", f"/2/instances/{name}/tags?" + urlencode([("tag", tag) for tag in add]))
    if remove:
        sim.run_job("DELETE", f"/2/instances/{name}/tags?" + urlencode([("tag", tag) for tag in remove]))
    cache.clear()
    inventory._built.clear()
