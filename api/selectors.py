"""Reads of the API: what it lists comes from the inventory (ganeti.rapi.inventory), whose ownership
filter is the rule of ganeti.permissions.is_owner."""

from dataclasses import dataclass

from ganeti.rapi import inventory

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
    result = inventory.instances(user=user)
    names = sorted(instance.name for instance in result.items if tag is None or tag in instance.tags)
    return OwnedInstances(names=names, failed_clusters=sorted({error.cluster.slug for error in result.errors}))
