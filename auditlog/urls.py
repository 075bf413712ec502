"""URLs of the auditlog app (mounted in ganetimgr/urls.py); its pages come with their feature."""

app_name = "auditlog"

urlpatterns: list = []
