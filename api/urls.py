from django.urls import path

from . import views

app_name = "api"

_instance = "api/v1/instances/<str:cluster>/<str:instance>/"

urlpatterns = [
    # The original's endpoints, at its paths.
    path("instances/list/", views.instances_list, name="instances_list"),
    path("user/details/", views.user_details, name="user_details"),
    path("api/v1/openapi.json", views.openapi, name="openapi"),
    path(_instance, views.instance, name="instance"),
    path(_instance + "<str:action>/", views.instance_action, name="instance_action"),
]
