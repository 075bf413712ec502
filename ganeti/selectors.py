"""Reads of the ganeti app."""

from django.db.models import QuerySet

from .models import Cluster

__all__ = ["cluster_list"]


def cluster_list(*, enabled_only: bool = True) -> QuerySet[Cluster]:
    """Clusters by slug; without the disabled ones unless asked."""
    clusters = Cluster.objects.all()
    return clusters.filter(disabled=False) if enabled_only else clusters
