"""URLs of the notifications app (mounted at /notifications/ in ganetimgr/urls.py)."""

from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.compose, name="compose"),
    path("usergrps/", views.recipient_lookup, name="lookup"),
    path("archive/<int:pk>/", views.archive_detail, name="archive_detail"),
]
