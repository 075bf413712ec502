from .selectors import session_seconds_left


def session(request):
    """Seconds until the login ends, for the page's logout timer."""
    user = getattr(request, "user", None)
    return {"session_seconds_left": session_seconds_left(request) if user is not None else None}
