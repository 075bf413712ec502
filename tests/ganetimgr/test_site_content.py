"""Site content: flatpages from the fixture, public and in both languages; their links and the
FLATPAGES toggles; BRANDING; the analytics include; the helpdesk issue collector; the news page."""

import html
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.flatpages.models import FlatPage
from django.core.cache import cache
from django.core.management import call_command

pytestmark = pytest.mark.django_db

PAGES = {
    "/about/info/en/": "About the service", "/about/info/el/": "Σχετικά με την υπηρεσία",
    "/about/terms-of-service/en/": "Terms of Service", "/about/terms-of-service/el/": "Όροι χρήσης",
    "/about/faq/en/": "Frequently asked questions", "/about/faq/el/": "Συχνές ερωτήσεις",
}
GREEK = {"HTTP_ACCEPT_LANGUAGE": "el"}


@pytest.fixture
def flatpages():
    call_command("loaddata", "flatpages", verbosity=0)


def test_the_fixture_loads_and_every_page_is_public_in_both_languages(client, flatpages):
    assert sorted(FlatPage.objects.values_list("url", flat=True)) == sorted(PAGES)
    call_command("loaddata", "flatpages", verbosity=0)  # again: the same six pages, not twelve
    assert FlatPage.objects.count() == 6
    for url, title in PAGES.items():
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert f"<h1 class=\"h3 mb-3\">{title}</h1>" in answer.content.decode()
    # Without the trailing slash: redirected to the page, not to the login.
    answer = client.get("/about/faq/en")
    assert answer.status_code == 301 and answer["Location"] == "/about/faq/en/"
    # Paths that are no flatpage still ask anonymous visitors to log in, or answer 404.
    assert client.get("/about/nosuch/en/").status_code == 404
    assert "/user/login/" in client.get("/stats/")["Location"]


def test_links_follow_the_language_and_the_toggles(client, user, settings, flatpages):
    page = client.get("/user/login/").content.decode()
    assert 'href="/about/faq/en/"' in page and 'href="/about/info/en/"' in page
    assert 'href="/about/terms-of-service/en/"' in page
    client.force_login(user)
    page = client.get("/", **GREEK).content.decode()
    assert 'href="/about/faq/el/"' in page and 'href="/about/info/el/"' in page
    assert 'href="/about/terms-of-service/el/"' in page
    settings.FLATPAGES = {"INFO": False, "TOS": True, "FAQ": False}
    page = client.get("/").content.decode()
    assert 'id="topbar-faq"' not in page and 'id="footer-info"' not in page and 'id="footer-tos"' in page


def test_branding_appears(client, settings):
    settings.BRANDING = {
        **settings.BRANDING, "TITLE": "Cloudy", "MOTTO": "VMs for researchers", "FOOTER_TEXT": "Funded by the EU",
        "SERVICE_PROVIDED_BY": {"NAME": "Example NOC", "URL": "https://noc.example.org/", "SOCIAL_NETWORKS": [
            {"NAME": "Mastodon", "URL": "https://social.example.org/@noc", "ICON": "mastodon"}]},
    }
    page = html.unescape(client.get("/user/login/").content.decode())
    for text in ("<title>", "Cloudy", "VMs for researchers", "Funded by the EU", '<a href="https://noc.example.org/">Example NOC</a>',
                 'href="https://social.example.org/@noc"', "bi-mastodon", 'aria-label="Mastodon"'):
        assert text in page, text


def test_the_analytics_include(client, settings, tmp_path, caplog):
    (tmp_path / "analytics.html").write_text('<script id="analytics-snippet">/* the operator\'s */</script>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}]
    assert "analytics-snippet" not in client.get("/user/login/").content.decode()
    settings.BRANDING = {**settings.BRANDING, "ANALYTICS_FILE_PATH": "analytics.html"}
    page = client.get("/user/login/").content.decode()
    assert page.index('id="analytics-snippet"') > page.index("</footer>")
    # A path that names no template: logged, the page still works.
    settings.BRANDING = {**settings.BRANDING, "ANALYTICS_FILE_PATH": "nosuch.html"}
    assert client.get("/user/login/").status_code == 200
    assert "nosuch.html" in caplog.text


def helpdesk_block(page: str):
    match = re.search(r'<script id="helpdesk-integration" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(match.group(1)) if match else None


def test_the_helpdesk_script_only_when_set_and_for_logged_in_users(client, user, settings):
    client.force_login(user)
    page = client.get("/").content.decode()
    assert helpdesk_block(page) is None and "collector.js" not in page
    settings.HELPDESK_INTEGRATION_JAVASCRIPT_URL = "https://helpdesk.example.org/collector.js"
    settings.HELPDESK_INTEGRATION_JAVASCRIPT_PARAMS = {"customfield_11551": "tier-1", "note": "</script><b>"}
    page = client.get("/").content.decode()
    assert '<script src="https://helpdesk.example.org/collector.js" async></script>' in page
    data = helpdesk_block(page)
    assert data == {"customfield_11551": "tier-1", "note": "</script><b>",
                    "user": {"username": "alice", "email": "alice@example.org", "name": "Alice"}}
    client.logout()
    assert "collector.js" not in client.get("/user/login/").content.decode()


@pytest.mark.integration
def test_the_helpdesk_script_names_the_instance_of_an_instance_page(client, user, settings, simulators, cluster_on,
                                                                    empty_inventory):
    sim = simulators(instances=2, owners="alice", seed=5)
    cluster = cluster_on(sim, "c1")
    name = sorted(row["name"] for row in sim.request("GET", "/2/instances?bulk=1")[1])[0]
    settings.HELPDESK_INTEGRATION_JAVASCRIPT_URL = "https://helpdesk.example.org/collector.js"
    client.force_login(user)
    data = helpdesk_block(client.get(f"/instances/c1/{name}/").content.decode())
    assert data["instance"] == {"name": name, "cluster": cluster.slug} and data["user"]["username"] == "alice"


RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>NOC news</title>
<item><title>Maintenance on Saturday</title><link>https://noc.example.org/maint</link>
<pubDate>Sat, 21 Nov 2026 10:00:00 GMT</pubDate></item></channel></rss>"""


@pytest.fixture
def feed(settings):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            ok = self.path == "/feed.xml"
            self.send_response(200 if ok else 500)
            self.send_header("Content-Type", "application/rss+xml")
            self.end_headers()
            self.wfile.write(RSS if ok else b"oops")

        def log_message(self, *args):
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    cache.clear()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    cache.clear()


@pytest.mark.integration
def test_the_news_page(client, user, settings, feed):
    assert client.get("/news/").status_code == 404  # no FEED_URL
    client.force_login(user)
    assert "/news/" not in client.get("/").content.decode()
    settings.BRANDING = {**settings.BRANDING, "FEED_URL": f"{feed}/feed.xml"}
    assert 'href="/news/"' in client.get("/").content.decode()  # the sidebar entry
    client.logout()
    page = client.get("/news/").content.decode()  # anyone
    assert '<a href="https://noc.example.org/maint" rel="noopener noreferrer" target="_blank">Maintenance on Saturday</a>' in page
    settings.BRANDING = {**settings.BRANDING, "FEED_URL": f"{feed}/broken.xml"}
    page = client.get("/news/")
    assert page.status_code == 200 and "The news cannot be read right now" in page.content.decode()
    assert "Τα νέα δεν μπορούν να διαβαστούν" in client.get("/news/", **GREEK).content.decode()
