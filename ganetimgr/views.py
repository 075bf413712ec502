from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts.selectors import news_entries
from ganetimgr.preflight import check_services


@login_not_required
@never_cache
@require_safe
def health(request):
    """For load balancers and monitoring: 200 when every service answers, else 503 naming the failures."""
    statuses = check_services()
    body = {status.name: "ok" if status.ok else "unavailable" for status in statuses}
    healthy = all(status.ok for status in statuses)
    body["status"] = "ok" if healthy else "degraded"
    return JsonResponse(body, status=200 if healthy else 503)


@login_not_required
def admin_login(request):
    """The admin has no login page of its own: visitors log in on the site's; users who are not staff get 403."""
    if request.user.is_authenticated:
        raise PermissionDenied
    return redirect_to_login(request.GET.get(REDIRECT_FIELD_NAME, reverse("admin:index")))


# -- news
@login_not_required
@require_safe
def news(request):
    """BRANDING's FEED_URL, read server-side (cached; accounts.selectors.news_entries), for anyone."""
    if not settings.BRANDING.get("FEED_URL"):
        raise Http404("No news feed is configured.")
    return render(request, "news.html", {"entries": news_entries()})
# -- end news
