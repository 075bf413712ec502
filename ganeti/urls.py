from django.urls import path

from .views import instances

app_name = "ganeti"

_instance = "instances/<str:cluster>/<str:instance>/"

urlpatterns = [
    # -- instances (H4a)
    path("", instances.home, name="home"),
    path("instances/json/", instances.instances_json, name="instances_json"),
    path(_instance, instances.instance_detail, name="instance_detail"),
    path(_instance + "poll/", instances.instance_poll, name="instance_poll"),
    path(_instance + "startup/", instances.instance_startup, name="instance_startup"),
    path(_instance + "shutdown/", instances.instance_shutdown, name="instance_shutdown"),
    path(_instance + "reboot/", instances.instance_reboot, name="instance_reboot"),
    # -- end instances (H4a)
    # -- instance changes (H4b)
    # -- end instance changes (H4b)
]
