"""Reads of the API: what it lists comes from the inventory (ganeti.rapi.inventory) and the access
decisions from ganeti.permissions, as for the pages."""

from dataclasses import dataclass

from ganeti import permissions
from ganeti.rapi import inventory
from ganeti.selectors import cluster_list

__all__ = ["OwnedInstances", "owned_instances"]


@dataclass
class OwnedInstances:
    names: list[str]
    failed_clusters: list[str]


def owned_instances(user, *, tag: str | None = None) -> OwnedInstances:
    """The names of the instances the user owns (a user tag, or a group tag of one of their groups) on
    every enabled cluster, those carrying exactly `tag` when given; helpdesk and superusers get their
    own too, as in the original. `failed_clusters`: the slugs of the clusters that did not answer
    (their instances are missing or from an older snapshot)."""
    result = inventory.instances(list(cluster_list()))
    names = sorted(instance.name for instance in result.items
                   if permissions.is_owner(user, instance) and (tag is None or tag in instance.tags))
    return OwnedInstances(names=names, failed_clusters=sorted({error.cluster.slug for error in result.errors}))
