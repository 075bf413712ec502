"""Reads of the ganeti app."""

from django.db.models import QuerySet

from .models import Cluster

__all__ = ["cluster_list", "instance_or_404", "instance_pending_job", "instance_pending_jobs", "instance_job_key"]


def cluster_list(*, enabled_only: bool = True) -> QuerySet[Cluster]:
    """Clusters by slug; without the disabled ones unless asked."""
    clusters = Cluster.objects.all()
    return clusters.filter(disabled=False) if enabled_only else clusters


# -- instances (H4a) -------------------------------------------------------------------------------

INSTANCE_JOB_KEY = "instance-job:{pk}:{name}"
# An action lock left behind (a lost watcher message) ends by itself after this long.
INSTANCE_JOB_LOCK_SECONDS = 3600


def instance_job_key(cluster, name: str) -> str:
    return INSTANCE_JOB_KEY.format(pk=cluster.pk, name=name)


def instance_or_404(user, cluster_slug: str, name: str, *, check=None, live: bool = False):
    """(cluster, instance) for a user, or Http404: unknown or disabled cluster, missing instance, or an
    instance `check(user, instance)` refuses (default permissions.can_view_instance) all answer the
    same 404. `live=True` reads the instance from RAPI now (before every change); a cluster failure
    then raises GanetiApiError, for the caller to report."""
    from django.http import Http404

    from . import permissions
    from .rapi import inventory

    check = permissions.can_view_instance if check is None else check
    cluster = cluster_list(enabled_only=True).filter(slug=cluster_slug).first()
    if cluster is None:
        raise Http404("No such instance.")
    instance = inventory.live_instance(cluster, name) if live else inventory.find_instance(cluster, name)
    if instance is None or not check(user, instance):
        raise Http404("No such instance.")
    return cluster, instance


def instance_pending_job(cluster, name: str) -> dict | None:
    """The instance's action lock: {"job_id", "action", "since", "user"}, or None when no job of ours runs."""
    from django.core.cache import cache

    return cache.get(instance_job_key(cluster, name))


def instance_pending_jobs(keys) -> dict[tuple[int, str], dict]:
    """The action locks of several instances at once, by (cluster pk, name): one cache round trip."""
    from django.core.cache import cache

    keys = list(keys)
    if not keys:
        return {}
    found = cache.get_many([INSTANCE_JOB_KEY.format(pk=pk, name=name) for pk, name in keys])
    return {(pk, name): found[INSTANCE_JOB_KEY.format(pk=pk, name=name)] for pk, name in keys
            if INSTANCE_JOB_KEY.format(pk=pk, name=name) in found}
