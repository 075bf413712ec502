import logging
import warnings

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# django-oauth-toolkit warns (a log line and a DeprecationWarning) at every use of the implicit grant
# and of a token in the query string while they are allowed. Here they are allowed on purpose, for the
# original's clients (OAUTH2_ALLOW_IMPLICIT_GRANT, OAUTH2_ALLOW_QUERY_TOKEN): one line per API call
# would bury the log.
_ALLOWED_LEGACY = ("COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT", "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT")


def _not_allowed_legacy(record: logging.LogRecord) -> bool:
    message = record.getMessage()
    return not any(f'{name}"] is False' in message for name in _ALLOWED_LEGACY)


class ApiConfig(AppConfig):
    """The OAuth2 API: the original's two endpoints and /api/v1/ (django-oauth-toolkit issues the tokens)."""

    name = "api"
    verbose_name = _("API")

    def ready(self):
        logging.getLogger("oauth2_provider").addFilter(_not_allowed_legacy)
        for name in _ALLOWED_LEGACY:
            warnings.filterwarnings("ignore", message=f".*{name}", category=DeprecationWarning)
