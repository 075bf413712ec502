"""django-oauth-toolkit, mounted at /o/ (namespace oauth2_provider). The client (not a logged-in
user) calls the token and revoke endpoints: they need no login."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path
from oauth2_provider import views as dot_views

from . import oauth

app_name = "oauth2_provider"

# Mounted at /o/ (namespace oauth2_provider): DOT's authorize, token and revoke endpoints, and the pages
# where users manage their clients and the access they granted. DOT's device flow, OpenID Connect,
# introspection and dynamic registration are not offered. Ids are <int:pk> (DOT's own URLconf matches any
# slug, and a word there is a 500 from the database lookup).
urlpatterns = [
    path("authorize/", oauth.AuthorizationView.as_view(), name="authorize"),
    path("token/", login_not_required(dot_views.TokenView.as_view()), name="token"),
    path("revoke_token/", login_not_required(dot_views.RevokeTokenView.as_view()), name="revoke-token"),
    path("applications/", dot_views.ApplicationList.as_view(), name="list"),
    path("applications/register/", oauth.ApplicationRegistration.as_view(), name="register"),
    path("applications/<int:pk>/", dot_views.ApplicationDetail.as_view(), name="detail"),
    path("applications/<int:pk>/delete/", dot_views.ApplicationDelete.as_view(), name="delete"),
    path("applications/<int:pk>/update/", oauth.ApplicationUpdate.as_view(), name="update"),
    path("authorized_tokens/", dot_views.AuthorizedTokensListView.as_view(), name="authorized-token-list"),
    path("authorized_tokens/<int:pk>/delete/", dot_views.AuthorizedTokenDeleteView.as_view(),
         name="authorized-token-delete"),
]
