from django.conf import settings
from django.utils.functional import SimpleLazyObject

from ganetimgr.navigation import menu_for


def site(request):
    """Branding, version and the sidebar entries, for every page."""
    return {
        "BRANDING": settings.BRANDING,
        "SW_VERSION": settings.SW_VERSION,
        "sidebar_menu": SimpleLazyObject(lambda: menu_for(request.user, request.path)),
    }
