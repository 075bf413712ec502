"""Writes of the ganeti app: clusters."""

from .models import Cluster

__all__ = ["cluster_set_disabled", "cluster_reencrypt_password"]


def cluster_set_disabled(*, clusters, disabled: bool) -> int:
    """Enable or disable the given clusters; returns how many changed."""
    return Cluster.objects.filter(pk__in=[c.pk for c in clusters]).exclude(disabled=disabled).update(
        disabled=disabled
    )


def cluster_reencrypt_password(*, cluster: Cluster) -> None:
    """Rewrite the stored RAPI password under the current SECRET_KEY."""
    cluster.password = cluster.password
    cluster.save(update_fields=["password_encrypted"])
