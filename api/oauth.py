"""What ganetimgr changes of django-oauth-toolkit: the grant types a client may use, and the
application pages (a form with our labels and only the grants we offer).

Clients are registered by users at /o/applications/ for the authorization-code grant (with PKCE, what
clients should use) or the implicit grant (what the original documented). The password and
client-credentials grants are refused: the first gives a third party the user's password, the second
a token that acts as the application's owner without asking.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from oauth2_provider import views as dot_views
from oauth2_provider.forms import ApplicationForm as DotApplicationForm
from oauth2_provider.models import get_application_model
from oauth2_provider.oauth2_validators import OAuth2Validator

from accounts.forms import BootstrapMixin

Application = get_application_model()

# The token endpoint's grant types (oauthlib names) a client may use.
TOKEN_GRANT_TYPES = ("authorization_code", "refresh_token")


class Validator(OAuth2Validator):
    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        if grant_type not in TOKEN_GRANT_TYPES:
            return False
        return super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs)


class ApplicationForm(BootstrapMixin, DotApplicationForm):
    """Registration and editing of a user's own client."""

    client_type = forms.ChoiceField(
        label=_("Client type"),
        choices=[(Application.CLIENT_PUBLIC, _("Public (runs in a browser or on the user's machine: no secret)")),
                 (Application.CLIENT_CONFIDENTIAL, _("Confidential (a server that keeps the client secret)"))],
        widget=forms.Select(attrs={"class": "form-select"}))
    authorization_grant_type = forms.ChoiceField(
        label=_("Grant type"),
        choices=[(Application.GRANT_AUTHORIZATION_CODE, _("Authorization code with PKCE (recommended)")),
                 (Application.GRANT_IMPLICIT, _("Implicit (older clients)"))],
        widget=forms.Select(attrs={"class": "form-select"}))

    class Meta:
        model = Application
        fields = ("name", "client_id", "client_secret", "client_type", "authorization_grant_type", "redirect_uris",
                  "allowed_origins")
        labels = {
            "name": _("Name"),
            "client_id": _("Client ID"),
            "client_secret": _("Client secret"),
            "redirect_uris": _("Redirect URIs"),
            "allowed_origins": _("Allowed origins"),
        }
        help_texts = {
            "name": _("What users see when the application asks for access."),
            "redirect_uris": _("One https:// address per line, exactly as the client sends it."),
            "allowed_origins": _("Browser clients only: the origins (https://host) that may call the token "
                                 "endpoint, one per line."),
        }
        widgets = {"redirect_uris": forms.Textarea(attrs={"rows": 2}),
                   "allowed_origins": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # DOT's help text says so in English; ours says it in the user's language.
        if self.instance.pk:
            self.fields["client_secret"].help_text = _(
                "The secret is stored hashed and cannot be shown again. To replace it, enter a new one "
                "and copy it before saving.")
        else:
            self.fields["client_secret"].help_text = _(
                "Copy it now: once saved it is stored hashed and cannot be shown again. Public clients do "
                "not use it.")
        self.fields["allowed_origins"].required = False


class _FormMixin:
    def get_form_class(self):
        return ApplicationForm


class ApplicationRegistration(_FormMixin, dot_views.ApplicationRegistration):
    """The toolkit's registration page with our form (the grants we allow, our labels)."""


class ApplicationUpdate(_FormMixin, dot_views.ApplicationUpdate):
    """The toolkit's edit page with the same form."""


class AuthorizationView(dot_views.AuthorizationView):
    """The toolkit's consent page. Its form posts back the client's id in a hidden field: one naming no
    client (a form changed on the way) is the form's error, not the toolkit's uncaught DoesNotExist."""

    def form_valid(self, form):
        if not Application.objects.filter(client_id=form.cleaned_data["client_id"]).exists():
            form.add_error(None, _("No such client: ask its developer for a working link."))
            return self.form_invalid(form)
        return super().form_valid(form)
