"""The base page, login, languages, deny-by-default and the error pages, through Django's test client."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import include, path

from tests.helpers import free_port

pytestmark = pytest.mark.django_db

GREEK = {"HTTP_ACCEPT_LANGUAGE": "el"}


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/user/login/?next=/"


@pytest.mark.parametrize("url", ["/admin/", "/admin/ganeti/cluster/", "/history/", "/no-such-page/x"])
def test_nothing_is_public_by_default(client, url):
    response = client.get(url)
    assert response.status_code in (302, 404)
    if response.status_code == 302:
        assert "login" in response["Location"]


@pytest.mark.parametrize("headers, heading, button", [({}, "Log in to ganetimgr", "Log in"),
                                                      (GREEK, "Σύνδεση στο ganetimgr", "Σύνδεση")])
def test_login_page_in_both_languages(client, headers, heading, button):
    response = client.get("/user/login/", **headers)
    body = response.content.decode()
    assert response.status_code == 200
    assert heading in body and f">{button}</button>" in body
    assert 'value="el" lang="el">Ελληνικά</button>' in body  # the language switch is on every page


def test_login_logs_in_and_lands_on_the_home_page(client, user):
    response = client.post("/user/login/", {"username": "alice", "password": "alice-secret-pw"}, follow=True)
    assert response.redirect_chain[-1] == ("/", 302)
    assert "Welcome, Alice" in response.content.decode()


def test_wrong_password_is_refused_with_a_message(client, user):
    response = client.post("/user/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_inactive_account_is_told_it_awaits_activation(client, user):
    user.is_active = False
    user.save()
    response = client.post("/user/login/", {"username": "alice", "password": "alice-secret-pw"})
    assert "This account is not active yet" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("headers, texts", [
    ({}, ["Welcome, Alice", "Home", "Log out", "Powered by ganetimgr"]),
    (GREEK, ["Καλώς ήρθατε, Alice", "Αρχική", "Αποσύνδεση", "Με την τεχνολογία του ganetimgr"]),
])
def test_home_page_in_both_languages_for_a_user(client, user, headers, texts):
    client.force_login(user)
    body = client.get("/", **headers).content.decode()
    for text in texts:
        assert text in body


def sidebar_links(client):
    body = client.get("/").content.decode()
    start = body.index('id="sidebar"')
    sidebar = body[start:body.index("</nav>", start)]
    return [part.split('"')[0] for part in sidebar.split('href="')[1:]]


def test_sidebar_entries_depend_on_permissions(client, user, superuser):
    client.force_login(user)
    assert sidebar_links(client) == ["/", "/application/apply/", "/history/", "/stats/"]
    user.user_permissions.add(Permission.objects.get(codename="view_cluster"))
    assert sidebar_links(client) == ["/", "/application/apply/", "/history/", "/stats/"]  # the admin would refuse a user who is not staff
    user.is_staff = True
    user.save()
    assert sidebar_links(client) == ["/", "/application/apply/", "/history/", "/stats/", "/admin/ganeti/cluster/", "/admin/"]
    client.force_login(superuser)
    assert sidebar_links(client) == ["/", "/application/apply/", "/application/list/", "/history/", "/stats/",  # statistics
                                     "/cluster/detail/", "/cluster/nodes/", "/jobs/",  # clusters, nodes, jobs
                                     "/notifications/",  # notifications
                                     "/admin/ganeti/cluster/", "/admin/ganeti/network/", "/user/idle/", "/admin/"]
    # -- clusters, nodes, jobs: a helpdesk user (perm view_instances) gets cluster info, nodes and jobs
    user.is_staff = False
    user.save()
    user.user_permissions.add(Permission.objects.get(codename="view_instances"))
    client.force_login(user)
    links = sidebar_links(client)
    assert links[links.index("/stats/") + 1:links.index("/stats/") + 4] == ["/cluster/detail/", "/cluster/nodes/", "/jobs/"]
    # -- end clusters, nodes, jobs


def test_language_switch_is_a_post_that_sticks(client, user):
    client.force_login(user)
    response = client.post("/setlang/", {"language": "el", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert "Αρχική" in client.get("/").content.decode()
    client.post("/setlang/", {"language": "en", "next": "/"})
    assert "Αρχική" not in client.get("/").content.decode()


def test_anonymous_visitors_can_switch_language(client):
    client.post("/setlang/", {"language": "el", "next": "/user/login/"})
    assert "Σύνδεση στο ganetimgr" in client.get("/user/login/").content.decode()


def test_deactivated_users_lose_their_sessions(client, user):
    client.force_login(user)
    assert client.get("/").status_code == 200
    user.is_active = False
    user.save()
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/user/login/")


def test_login_page_while_logged_in_never_loops(client, user):
    client.force_login(user)
    response = client.get("/user/login/?next=/user/login/")
    assert response.status_code == 200


def test_bad_host_header_gets_the_400_page(client):
    response = client.get("/user/login/", HTTP_HOST="evil.example.org")
    assert response.status_code == 400 and "Bad request" in response.content.decode()


def test_logout_is_post_only(client, user):
    client.force_login(user)
    assert client.get("/user/logout/").status_code == 405
    response = client.post("/user/logout/")
    assert response.status_code == 302 and response["Location"] == "/user/login/"
    assert client.get("/").status_code == 302


def test_csrf_is_enforced_on_login(user):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/user/login/", {"username": "alice", "password": "alice-secret-pw"})
    assert response.status_code == 403
    assert "Form expired" in response.content.decode()


def test_admin_login_uses_the_site_login_and_reaches_the_admin(client, superuser):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1] == ("/user/login/?next=/admin/", 302)
    client.post("/user/login/", {"username": "root", "password": "root-secret-pw"})
    response = client.get("/admin/")
    assert response.status_code == 200 and "ganetimgr administration" in response.content.decode()


def test_users_who_are_not_staff_get_403_from_the_admin(client, user):
    client.force_login(user)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403 and "Access denied" in response.content.decode()


@pytest.mark.parametrize("headers, text", [({}, "Page not found"), (GREEK, "Η σελίδα δεν βρέθηκε")])
def test_404_page_in_both_languages(client, user, headers, text):
    client.force_login(user)
    response = client.get("/no/such/page/", **headers)
    assert response.status_code == 404 and text in response.content.decode()


def _forbidden(request):
    from django.core.exceptions import PermissionDenied

    raise PermissionDenied


def _broken(request):
    raise RuntimeError("boom")


urlpatterns = [path("forbidden/", _forbidden), path("broken/", _broken), path("", include("ganetimgr.urls"))]


def test_403_and_500_pages(client, user, settings):
    settings.ROOT_URLCONF = __name__
    client.force_login(user)
    forbidden = client.get("/forbidden/")
    assert forbidden.status_code == 403 and "Access denied" in forbidden.content.decode()
    client.raise_request_exception = False
    broken = client.get("/broken/")
    assert broken.status_code == 500
    assert "Something went wrong on our side" in broken.content.decode()


@pytest.mark.integration
def test_health_reports_each_service_without_login(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok", "queue": "ok", "status": "ok"}


@pytest.mark.integration
def test_health_degrades_when_a_service_is_down(client, settings):
    settings.BEANSTALK_ADDRESS = ("127.0.0.1", free_port())
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["queue"] == "unavailable" and response.json()["status"] == "degraded"


PUBLIC_ROUTES = {
    "accounts:login", "setlang", "health", "admin:login",
    # Logging out needs no login: the page's timer posts it when the session may already have ended.
    "accounts:logout",
    # Registration and e-mail validation happen before there is an account to log in with.
    "accounts:register", "accounts:register_complete", "accounts:activate",
    # Password reset is for those who cannot log in; it answers the same for every address.
    "accounts:password_reset", "accounts:password_reset_done", "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    # The new VM fetches its owner's SSH keys without a login: the secret in the URL is the check.
    "apply:instance_ssh_keys",
    # The news page, like the login page's news, is for anyone.
    "news",
    # -- OAuth2 API: these need an access token instead (api/auth.py; tests/api/ checks each
    # answers 401 without one); the client calls the token endpoints, the description is public.
    "api:instances_list", "api:user_details", "api:instance", "api:instance_action", "api:openapi",
    "oauth2_provider:token", "oauth2_provider:revoke-token",
    # django-oauth-toolkit's authorize page sends anonymous users to the login page itself (its
    # LoginRequiredMixin: tests/api/test_oauth_flows.py), after answering OpenID's prompt=none.
    "oauth2_provider:authorize",
    # -- end OAuth2 API
}


def test_every_route_but_a_few_needs_a_login():
    """Deny by default: walking the URLconf, only PUBLIC_ROUTES may skip LoginRequiredMiddleware."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, namespace=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                yield from walk(entry.url_patterns, inner)
            elif isinstance(entry, URLPattern):
                yield f"{namespace}{entry.name}", entry.callback

    public = sorted({name for name, view in walk(get_resolver().url_patterns)
                     if not getattr(view, "login_required", True)})
    assert public == sorted(PUBLIC_ROUTES)
