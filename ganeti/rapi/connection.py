"""One cached RAPI client per cluster, built from its Cluster row and the settings."""

from __future__ import annotations

import ssl
import threading

from django.conf import settings

from ..choices import TlsModeChoices
from ..models import Cluster
from .. import services  # a module import: ganeti.services imports this module too
from .client import RapiClient

__all__ = ["client_for"]

_clients: dict[int, tuple[tuple, RapiClient]] = {}
_clients_lock = threading.Lock()


def client_for(cluster: Cluster, *, user=None) -> RapiClient:
    """The client of `cluster`, writing in the name of `user` (a User, a username or None).

    A cluster in pinning mode without a pinned certificate is pinned here, at first contact; that
    raises GanetiApiError when the cluster cannot be reached. The client is reused until the
    cluster's connection settings change."""
    if cluster.tls_mode == TlsModeChoices.PIN and not cluster.tls_fingerprint:
        services.cluster_pin_certificate(cluster=cluster)
    signature = (cluster.hostname, cluster.port, cluster.username, cluster.password_encrypted, cluster.tls_mode,
                 cluster.tls_fingerprint, settings.RAPI_CONNECT_TIMEOUT, settings.RAPI_RESPONSE_TIMEOUT,
                 settings.GANETI_TAG_PREFIX)
    with _clients_lock:
        cached = _clients.get(cluster.pk)
        if cached is None or cached[0] != signature:
            client = RapiClient(
                cluster.hostname, cluster.port, username=cluster.username, password=cluster.password,
                verify=_system_ca_bundle() if cluster.tls_mode == TlsModeChoices.CA else False,
                fingerprint=cluster.tls_fingerprint if cluster.tls_mode == TlsModeChoices.PIN else None,
                connect_timeout=settings.RAPI_CONNECT_TIMEOUT, read_timeout=settings.RAPI_RESPONSE_TIMEOUT,
                reason_prefix=settings.GANETI_TAG_PREFIX,
            )
            cached = _clients[cluster.pk] = (signature, client)
    username = getattr(user, "username", user)
    return cached[1].as_user(username) if username else cached[1]


def _system_ca_bundle() -> str | bool:
    """The system's CA store (Debian's ca-certificates), not the one bundled with requests."""
    return ssl.get_default_verify_paths().cafile or True
