"""URLs of the auditlog app (mounted at /history/ in ganetimgr/urls.py)."""

from django.urls import path

from . import views

app_name = "auditlog"

urlpatterns = [
    path("", views.history, name="history"),
    path("json/", views.history_json, name="history_json"),
]
