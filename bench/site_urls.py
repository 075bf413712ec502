"""The project's URLs plus one trivial view, for the benchmarks only (never in the product): the
baseline a page is compared with, under the same middleware (session, login required, CSRF, ...)."""

from django.http import HttpResponse
from django.urls import path

from ganetimgr.urls import urlpatterns as project_urlpatterns


def trivial(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/trivial/", trivial, name="bench_trivial"), *project_urlpatterns]
