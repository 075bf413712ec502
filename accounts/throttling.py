"""Who is logging in, for django-axes' lockouts (AXES_CLIENT_IP_CALLABLE)."""

__all__ = ["client_ip", "LOCAL_PROXIES"]

# gunicorn listens on loopback behind the local nginx (contrib/), which appends the client's address
# to X-Forwarded-For; a header from anywhere else is the client's own say and is not believed.
LOCAL_PROXIES = {"127.0.0.1", "::1"}


def client_ip(request) -> str | None:
    """The client's address: the last X-Forwarded-For hop when the request came through the local proxy."""
    remote = request.META.get("REMOTE_ADDR")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if remote in LOCAL_PROXIES and forwarded.strip():
        return forwarded.split(",")[-1].strip() or remote
    return remote
