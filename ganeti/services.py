"""Writes of the ganeti app: clusters."""

from django.conf import settings

from .choices import TlsModeChoices
from .models import Cluster
from .rapi.client import fetch_certificate_fingerprint

__all__ = ["cluster_save", "cluster_set_disabled", "cluster_reencrypt_password", "cluster_pin_certificate",
           "cluster_forget_certificate"]


def cluster_save(*, cluster: Cluster, new_password: str = "") -> Cluster:
    """Save a cluster. A new RAPI password is stored encrypted; an empty one keeps the stored password,
    except that a cluster without a RAPI user keeps none."""
    if new_password:
        cluster.password = new_password
    elif not cluster.username:
        cluster.password = ""
    if (cluster.pk and cluster.tls_fingerprint
            and Cluster.objects.filter(pk=cluster.pk).exclude(hostname=cluster.hostname, port=cluster.port).exists()):
        cluster.tls_fingerprint = ""  # another address is another certificate: pin anew
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


def cluster_pin_certificate(*, cluster: Cluster) -> str:
    """Record the certificate the cluster presents now (trust on first use). Raises GanetiApiError
    when the cluster cannot be reached; then nothing is recorded."""
    fingerprint = fetch_certificate_fingerprint(cluster.hostname, cluster.port, timeout=settings.RAPI_CONNECT_TIMEOUT)
    cluster.tls_fingerprint = fingerprint
    Cluster.objects.filter(pk=cluster.pk).update(tls_fingerprint=fingerprint)
    return fingerprint


def cluster_forget_certificate(*, clusters) -> int:
    """Forget pinned certificates (after a cluster's certificate was renewed); the next contact pins again."""
    return Cluster.objects.filter(pk__in=[c.pk for c in clusters], tls_mode=TlsModeChoices.PIN).exclude(
        tls_fingerprint="").update(tls_fingerprint="")

