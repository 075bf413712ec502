"""URLs of the apply app (mounted in ganetimgr/urls.py); its pages come with their feature."""

app_name = "apply"

urlpatterns: list = []
