import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.utils.translation import gettext as _

from .selectors import SESSION_LOGIN_AT


class SessionTimeoutMiddleware:
    """A login lasts SESSION_COOKIE_AGE seconds from when it was made, active or not; then it ends here
    (the page's own timer, in base.html, logs out at the same moment)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            login_at = request.session.get(SESSION_LOGIN_AT)
            if login_at is None:  # a session from before logins recorded their time (accounts/signals.py)
                request.session[SESSION_LOGIN_AT] = now
            elif now - login_at >= settings.SESSION_COOKIE_AGE:
                logout(request)
                messages.info(request, _("Your session expired: please log in again."))
        return self.get_response(request)
