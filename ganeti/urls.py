from django.urls import path

from .views import instances

app_name = "ganeti"

urlpatterns = [
    path("", instances.home, name="home"),
]
