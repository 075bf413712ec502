"""The login page and what surrounds it: welcome message, news feed, throttling, password reset, timeout."""

import html
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.selectors import SESSION_LOGIN_AT
from tests.mail import link_in

pytestmark = pytest.mark.django_db

LOGIN = {"username": "alice", "password": "alice-secret-pw"}

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>NOC news</title>
<item><title>Maintenance on Saturday</title><link>https://noc.example.org/maint</link>
<pubDate>Sat, 21 Nov 2026 10:00:00 GMT</pubDate></item>
<item><title>Evil &lt;b&gt;entry&lt;/b&gt;</title><link>javascript:alert(1)</link></item>
</channel></rss>"""


def text(response) -> str:
    return html.unescape(response.content.decode())


def without_csrf_tokens(page: str) -> str:
    return re.sub(r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', r"\1", page)


def test_welcome_message_on_the_first_login_only(client, user):
    first = client.post("/user/login/", LOGIN, follow=True)
    assert 'Welcome! Fill in your <a href="/user/profile/">profile</a>' in first.content.decode()
    assert 'href="/user/keys/">SSH keys</a>' in first.content.decode()
    client.post("/user/logout/")
    second = client.post("/user/login/", LOGIN, follow=True)
    assert "Welcome! Fill in your" not in second.content.decode()


def test_a_username_longer_than_any_account_is_a_form_error(client, user):
    """Not a server error: such a name used to reach the failed-login log, which keeps 255 characters."""
    response = client.post("/user/login/", {"username": "a" * 300, "password": "whatever"})
    assert response.status_code == 200
    assert "Please enter a correct username and password." in text(response)
    assert client.post("/user/login/", LOGIN).status_code == 302  # no lockout left behind


def test_login_page_links_to_reset_and_registration(client):
    page = client.get("/user/login/").content.decode()
    assert 'href="/user/password/reset/"' in page and 'href="/user/register/"' in page


@pytest.fixture
def feed_server():
    """A real HTTP server serving an RSS feed, counting requests."""
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            body = RSS if self.path == "/feed.xml" else b"not found"
            self.send_response(200 if self.path == "/feed.xml" else 404)
            self.send_header("Content-Type", "application/rss+xml")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            """Quiet: the test's output is not the place for an access log."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()


@pytest.mark.integration
def test_news_feed_is_read_server_side_and_cached(client, settings, feed_server):
    base, hits = feed_server
    settings.BRANDING = {**settings.BRANDING, "FEED_URL": f"{base}/feed.xml"}
    cache.delete(f"accounts:feed:{base}/feed.xml")
    page = client.get("/user/login/").content.decode()
    assert '<a href="https://noc.example.org/maint"' in page and "Maintenance on Saturday" in page
    assert "Evil &lt;b&gt;entry&lt;/b&gt;" in page and "javascript:" not in page
    client.get("/user/login/")
    assert hits == ["/feed.xml"]  # the second page came from the cache


@pytest.mark.integration
def test_a_broken_feed_leaves_the_page_working(client, settings, feed_server, caplog):
    base, _hits = feed_server
    for url in [f"{base}/missing.xml", "http://127.0.0.1:9/feed.xml"]:
        settings.BRANDING = {**settings.BRANDING, "FEED_URL": url}
        cache.delete(f"accounts:feed:{url}")
        response = client.get("/user/login/")
        assert response.status_code == 200 and 'id="news"' not in response.content.decode()
    assert "could not be read" in caplog.text


def test_repeated_failures_lock_the_login_out(client, user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert "Please enter a correct username" in text(client.post("/user/login/", {**LOGIN, "password": "bad"}))
    locked = client.post("/user/login/", {**LOGIN, "password": "bad"})
    assert locked.status_code == 429 and "Too many attempts" in text(locked)
    right_password = client.post("/user/login/", LOGIN)
    assert right_password.status_code == 429 and "_auth_user_id" not in client.session
    other_user = Client().post("/user/login/", {"username": "bob", "password": "whatever"})
    assert other_user.status_code == 200  # the lock is per username and address


def test_case_variants_of_a_username_share_its_tries(client, user, settings):
    variants = ["alice", "ALICE", " Alice", "aLiCe ", "Alice"]
    for number in range(settings.AXES_FAILURE_LIMIT):
        client.post("/user/login/", {"username": variants[number % len(variants)], "password": "bad"})
    locked = client.post("/user/login/", {"username": "AlIcE", "password": "whatever"})
    assert locked.status_code == 429 and "Too many attempts" in text(locked)
    assert client.post("/user/login/", LOGIN).status_code == 429 and "_auth_user_id" not in client.session


def test_lockouts_follow_the_address_the_local_proxy_forwards(client, user, settings):
    nginx = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/user/login/", {**LOGIN, "password": "bad"}, **nginx)
    assert client.post("/user/login/", LOGIN, **nginx).status_code == 429
    elsewhere = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.1, 198.51.100.9"}
    assert Client().post("/user/login/", LOGIN, **elsewhere).status_code == 302
    # A client that is not the local proxy cannot pick its address by sending the header itself.
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/user/login/", {**LOGIN, "password": "bad"}, REMOTE_ADDR="192.0.2.5",
                      HTTP_X_FORWARDED_FOR=f"10.0.0.{_}")
    assert Client().post("/user/login/", LOGIN, REMOTE_ADDR="192.0.2.5",
                         HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429


def test_a_success_clears_the_failures(client, user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/user/login/", {**LOGIN, "password": "bad"})
    assert client.post("/user/login/", LOGIN).status_code == 302
    client.post("/user/logout/")
    assert client.post("/user/login/", {**LOGIN, "password": "bad"}).status_code == 200


@pytest.mark.integration
def test_password_reset_reveals_nothing_and_its_link_works_once(client, user, smtp_sink):
    unknown = client.post("/user/password/reset/", {"email": "nobody@example.org"}, follow=True)
    known = client.post("/user/password/reset/", {"email": "alice@example.org"}, follow=True)
    assert unknown.redirect_chain == known.redirect_chain == [("/user/password/reset/done/", 302)]
    assert without_csrf_tokens(text(unknown)) == without_csrf_tokens(text(known))
    mail = smtp_sink.wait_for("alice@example.org", "Choose a new password")
    assert not smtp_sink.to("nobody@example.org")
    link = urlsplit(link_in(mail["body"])).path
    form_page = client.get(link, follow=True)
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": "a-brand-new-passphrase", "new_password2": "a-brand-new-passphrase"},
                       follow=True)
    assert "Your new password is set." in text(done)
    assert client.post("/user/login/", {**LOGIN, "password": "a-brand-new-passphrase"}).status_code == 302
    client.post("/user/logout/")
    assert "This link is expired or already used." in text(client.get(link, follow=True))


@pytest.mark.parametrize("active, mails", [(True, 1), (False, 0)])
def test_inactive_users_get_no_reset_mail(client, user, mailoutbox, active, mails):
    user.is_active = active
    user.save()
    client.post("/user/password/reset/", {"email": "alice@example.org"})
    assert [message.to for message in mailoutbox] == [["alice@example.org"]] * mails


def test_the_page_carries_the_time_left_and_the_server_ends_the_login(client, user, settings):
    client.post("/user/login/", LOGIN)
    page = client.get("/").content.decode()
    assert 'id="session-timeout"' in page
    left = int(page.split('data-seconds-left="')[1].split('"')[0])
    assert settings.SESSION_COOKIE_AGE - 5 <= left <= settings.SESSION_COOKIE_AGE
    session = client.session
    session[SESSION_LOGIN_AT] = time.time() - settings.SESSION_COOKIE_AGE - 1
    session.save()
    response = client.get("/user/profile/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/user/login/")
    assert "Your session expired: please log in again." in text(response)
    assert "_auth_user_id" not in client.session


def test_a_new_login_starts_a_full_session_even_for_the_same_user(client, user, settings):
    client.post("/user/login/", LOGIN)
    session = client.session
    session[SESSION_LOGIN_AT] = time.time() - settings.SESSION_COOKIE_AGE + 30  # about to end
    session.save()
    client.post("/user/login/", LOGIN)  # the same user logs in again
    page = client.get("/").content.decode()
    left = int(page.split('data-seconds-left="')[1].split('"')[0])
    assert settings.SESSION_COOKIE_AGE - 5 <= left <= settings.SESSION_COOKIE_AGE
    session = client.session
    session[SESSION_LOGIN_AT] -= 60  # past the old login's end: the server keeps the new login going
    session.save()
    assert client.get("/user/profile/").status_code == 200


def test_anonymous_pages_have_no_timer(client):
    assert 'id="session-timeout"' not in client.get("/user/login/").content.decode()


@pytest.mark.parametrize("url, login, greek", [
    ("/user/register/", False, "Δημιουργία λογαριασμού"),
    ("/user/password/reset/", False, "Επαναφορά κωδικού πρόσβασης"),
    ("/user/profile/", True, "Αλλαγή κωδικού"),
    ("/user/keys/", True, "Δεν έχετε ακόμη κλειδιά SSH."),
])
def test_account_pages_in_greek(client, user, url, login, greek):
    if login:
        client.force_login(user)
    assert greek in client.get(url, HTTP_ACCEPT_LANGUAGE="el").content.decode()
