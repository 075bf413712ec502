"""URLs of the stats app (mounted in ganetimgr/urls.py); its pages come with their feature."""

app_name = "stats"

urlpatterns: list = []
