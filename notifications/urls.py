"""URLs of the notifications app (mounted in ganetimgr/urls.py); its pages come with their feature."""

app_name = "notifications"

urlpatterns: list = []
