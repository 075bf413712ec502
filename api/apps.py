from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The OAuth2 API: the original's two endpoints and /api/v1/ (django-oauth-toolkit issues the tokens)."""

    name = "api"
    verbose_name = _("API")
