from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ganetimgr.preflight import check_services


@login_not_required
@never_cache
@require_GET
def health(request):
    """For load balancers and monitoring: 200 when every service answers, else 503 naming the failures."""
    statuses = check_services()
    body = {status.name: "ok" if status.ok else "unavailable" for status in statuses}
    healthy = all(status.ok for status in statuses)
    body["status"] = "ok" if healthy else "degraded"
    return JsonResponse(body, status=200 if healthy else 503)
