from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from ganetimgr import views

admin.site.site_header = _("ganetimgr administration")
admin.site.site_title = _("ganetimgr administration")
admin.site.login = views.admin_login

urlpatterns = [
    # -- statistics: /stats/... and /instances/stats/json/, before ganeti's instances/<cluster>/<instance>/
    path("", include("stats.urls")),
    # -- end statistics
    path("", include("ganeti.urls")),
    path("user/", include("accounts.urls")),
    path("application/", include("apply.urls")),
    path("history/", include("auditlog.urls")),
    path("notifications/", include("notifications.urls")),
    path("setlang/", login_not_required(set_language), name="setlang"),
    path("health/", views.health, name="health"),
    path("news/", views.news, name="news"),  # news
    path("admin/", admin.site.urls),
    # -- OAuth2 API: django-oauth-toolkit at /o/, the API's own paths (api/urls.py)
    path("o/", include("api.oauth_urls")),
    path("", include("api.urls")),
    # -- end OAuth2 API
]
