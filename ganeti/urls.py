from django.urls import path

from . import views

app_name = "ganeti"

urlpatterns = [
    path("", views.home, name="home"),
]
