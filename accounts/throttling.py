"""Who is logging in, for django-axes' lockouts (AXES_CLIENT_IP_CALLABLE)."""

__all__ = ["client_ip", "lockout_username", "LOCAL_PROXIES"]

# gunicorn listens on loopback behind the local nginx (contrib/), which appends the client's address
# to X-Forwarded-For; a header from anywhere else is the client's own say and is not believed.
LOCAL_PROXIES = {"127.0.0.1", "::1"}


def lockout_username(request, credentials) -> str | None:
    """The username a lockout counts under (AXES_USERNAME_CALLABLE): stripped and lower-cased, since the
    directory (LDAP) matches usernames whatever their case; else every case variant got its own tries."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = getattr(request, "data", request.POST).get("username")
    return username.strip().lower() if isinstance(username, str) else username


def client_ip(request) -> str | None:
    """The client's address: the last X-Forwarded-For hop when the request came through the local proxy."""
    remote = request.META.get("REMOTE_ADDR")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if remote in LOCAL_PROXIES and forwarded.strip():
        return forwarded.split(",")[-1].strip() or remote
    return remote
