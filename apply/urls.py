"""URLs of the apply app, mounted at /application/ (the original's paths)."""

from django.urls import path

from . import views

app_name = "apply"

urlpatterns = [
    path("apply/", views.apply, name="apply"),
    path("mine/", views.my_applications, name="my_applications"),
    path("list/", views.application_list, name="application_list"),
    path("save/", views.application_save, name="application_save"),
    path("placement/", views.placement_options, name="placement_options"),
    path("<int:pk>/", views.application_detail, name="application_detail"),
    path("<int:pk>/review/", views.application_review, name="application_review"),
    path("<int:pk>/<str:cookie>/ssh_keys", views.instance_ssh_keys, name="instance_ssh_keys"),
]
