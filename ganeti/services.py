"""Writes of the ganeti app: clusters."""

from .models import Cluster

__all__ = ["cluster_save", "cluster_set_disabled", "cluster_reencrypt_password"]


def cluster_save(*, cluster: Cluster, new_password: str = "") -> Cluster:
    """Save a cluster. A new RAPI password is stored encrypted; an empty one keeps the stored password,
    except that a cluster without a RAPI user keeps none."""
    if new_password:
        cluster.password = new_password
    elif not cluster.username:
        cluster.password = ""
    cluster.save()
    return cluster


def cluster_set_disabled(*, clusters, disabled: bool) -> int:
    """Enable or disable the given clusters; returns how many changed."""
    return Cluster.objects.filter(pk__in=[c.pk for c in clusters]).exclude(disabled=disabled).update(
        disabled=disabled
    )


def cluster_reencrypt_password(*, cluster: Cluster) -> None:
    """Rewrite the stored RAPI password under the current SECRET_KEY."""
    cluster.password = cluster.password
    cluster.save(update_fields=["password_encrypted"])
