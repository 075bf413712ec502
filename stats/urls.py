"""URLs of the stats app, mounted at the root in ganetimgr/urls.py before ganeti's: the per-owner JSON
keeps the original's path /instances/stats/json/, which ganeti's instances/<cluster>/<instance>/ would
otherwise take."""

from django.urls import path

from . import views

app_name = "stats"

urlpatterns = [
    path("stats/", views.index, name="index"),
    path("stats/applications/", views.applications_json, name="applications"),
    path("stats/instances/", views.instances_json, name="instances"),
    path("stats/vms_cluster/<str:cluster>/", views.vms_cluster_json, name="vms_cluster"),
    path("instances/stats/json/", views.owners_json, name="owners"),
]
