"""Bearer tokens for the API views: `token_required(scope)`.

A token comes in the `Authorization: Bearer <token>` header (preferred) or, for the original's clients,
in the `access_token` query parameter (OAUTH2_ALLOW_QUERY_TOKEN). django-oauth-toolkit checks it. A
session never authorises these views: without a valid token they answer 401, with a token lacking the
scope 403, always as JSON `{"error": {"code", "message"}}` with an RFC 6750 WWW-Authenticate header,
never a login redirect. CSRF does not apply: a request counts only with a token, which a foreign page
cannot know.
"""

from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.oauth2_backends import get_oauthlib_core

from ganetimgr.responses import json_error

__all__ = ["token_required"]

REALM = "ganetimgr"


def _challenge(error: str = "", scope: str = "") -> str:
    """RFC 6750's WWW-Authenticate value (the JSON body says in words, in the user's language, what an
    ASCII header could not)."""
    parts = [f'realm="{REALM}"']
    if error:
        parts.append(f'error="{error}"')
    if scope:
        parts.append(f'scope="{scope}"')
    return "Bearer " + ", ".join(parts)


def _unauthorized(code: str, message: str, *, oauth_error: str = ""):
    return json_error(401, code, message, WWW_Authenticate=_challenge(oauth_error))


def _authenticate(request, scope: str):
    """None when the request carries a valid token with `scope` (request.user is then its user), else
    the error answer."""
    header = request.headers.get("Authorization", "")
    in_query = "access_token" in request.GET
    if not header.lower().startswith("bearer ") and not in_query:
        return _unauthorized("token_required", _("An access token is required (Authorization: Bearer <token>)."))
    if in_query and not settings.OAUTH2_ALLOW_QUERY_TOKEN:
        return _unauthorized("invalid_request",
                             _("Access tokens in the query string are turned off here: send an "
                               "Authorization: Bearer header."), oauth_error="invalid_request")
    valid, oauth_request = get_oauthlib_core().verify_request(request, scopes=[])
    token = getattr(oauth_request, "access_token", None) if valid else None
    user = getattr(token, "user", None)
    if token is None or user is None or not user.is_active:
        return _unauthorized("invalid_token", _("The access token is unknown, expired or revoked."),
                             oauth_error="invalid_token")
    if not token.allow_scopes([scope]):
        message = _("The access token lacks the “%(scope)s” scope.") % {"scope": scope}
        return json_error(403, "insufficient_scope", message,
                          WWW_Authenticate=_challenge("insufficient_scope", scope))
    request.user = user
    request.access_token = token
    return None


def token_required(scope: str):
    """The view answers only requests with a valid access token that has `scope`."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            refused = _authenticate(request, scope)
            if refused is not None:
                return refused
            return view(request, *args, **kwargs)

        return login_not_required(csrf_exempt(wrapped))

    return decorator
