from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.functional import SimpleLazyObject

from ganetimgr.cache import unavailable_since
from ganetimgr.navigation import menu_for


def site(request):
    """Branding, version and the sidebar entries, for every page."""
    return {
        "BRANDING": settings.BRANDING,
        "SW_VERSION": settings.SW_VERSION,
        "FLATPAGES": settings.FLATPAGES,  # site content
        # No user on error pages raised before AuthenticationMiddleware (e.g. 400 for a bad Host header).
        "sidebar_menu": SimpleLazyObject(lambda: menu_for(getattr(request, "user", AnonymousUser()), request.path)),
        # Read when the page renders, after the view's own cache reads.
        "cache_unavailable": SimpleLazyObject(lambda: unavailable_since() is not None),
    }
