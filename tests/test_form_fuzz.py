"""Every form of the product fuzzed with hypothesis: each route of the URLconf that takes a POST gets, from
the user who may use it, dictionaries over its form's own field names (read from the page that shows the
form, and from ROUTES below) and unknown keys, with values from unicode and control characters, NUL, very
long strings, numbers as strings, empty strings and repeated keys, urlencoded or multipart, as a page or
as an htmx request, in English or Greek. Every other route must refuse a POST (405) and is asked with fuzzed query strings.
The admin's add, change, delete and list pages are fuzzed for every registered model.

Never a status >= 500 nor an uncaught exception (the test client raises them); a JSON endpoint's error is
JSON with an error code (ganetimgr.responses.json_error). A guard walks the URLconf and fails when a route
has no row, so that a new form cannot escape the fuzzer. The OAuth2 API's own routes are fuzzed by
schemathesis (tests/api/test_openapi.py) from api/openapi.json: the guard checks they are described there.
No form of the product takes a file."""

import json
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.contrib.flatpages.models import FlatPage
from django.contrib.sites.models import Site
from django.core import signing
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oauth2_provider.models import AccessToken, Application
from registration.models import SupervisedRegistrationProfile

from accounts.models import SshKey
from accounts.services import EMAIL_CHANGE_SALT, EMAIL_STEP_OLD, profile_of
from apply.models import ApplicationStatus, InstanceApplication, Organization, QueueProblem
from auditlog.models import AuditEntry
from ganeti.models import InstanceActionRequest, Network
from ganeti.services import _token_hash
from notifications.models import Notification
from tests.ganeti.instance_setup import PREFIX, names, set_tags, tags_of
from tests.helpers import PROJECT_DIR, add_cluster
from tests.simulator import start_simulator

pytestmark = [pytest.mark.django_db, pytest.mark.integration, pytest.mark.usefixtures("empty_inventory")]

# Examples per route and kind of request (the admin's model pages are five kinds each): the module's wall time.
EXAMPLES, ADMIN_EXAMPLES = 5, 3


def bounded(examples):
    return settings(max_examples=examples, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHpkK0zOLj0PB6JqXDZAdAhq1ycUoYUG9j5GHcMr8cyo alice@laptop"

SELF = "self"  # the form is on the route's own GET page


@dataclass(frozen=True)
class Route:
    """How to fuzz one route. `args`: names of World attributes, the URL's arguments. `post`: the route
    takes a POST (else a POST must answer 405). `fields`: names posted beside those of the page's form.
    `page`: where the form is shown (SELF, another route's name, or None). `params`: the query
    parameters a GET reads. `answers`: "html", "json" (ganetimgr's JSON errors) or "oauth" (OAuth2's)."""

    role: str
    args: tuple = ()
    post: bool = False
    fields: tuple = ()
    page: str | None = SELF
    params: tuple = ()
    answers: str = "html"
    page_query: str = ""  # a World attribute: the query string the form's page needs


def form(role, *args, fields=(), page=SELF, answers="html", page_query=""):
    return Route(role, args, post=True, fields=fields, page=page, answers=answers, page_query=page_query)


def action(role, *args, fields=(), answers="html"):
    """A POST with no form of its own (a button)."""
    return Route(role, args, post=True, fields=fields, page=None, answers=answers)


def view(role, *args, params=(), answers="html"):
    return Route(role, args, params=params, answers=answers)


INSTANCE = ("cluster", "instance")
LIST = ("q", "page", "sort", "cluster")

ROUTES = {
    # -- statistics
    "stats:index": view("superuser", params=("sort", "page")),
    "stats:applications": view("owner", answers="json"),
    "stats:instances": view("superuser", answers="json"),
    "stats:vms_cluster": view("superuser", "cluster", answers="json"),
    "stats:owners": view("superuser", params=("sort", "page"), answers="json"),
    # -- instances
    "ganeti:home": view("helpdesk", params=LIST),
    "ganeti:instances_json": view("owner", params=LIST, answers="json"),
    "ganeti:instance_detail": view("owner", *INSTANCE),
    "ganeti:instance_poll": view("owner", *INSTANCE),
    "ganeti:instance_startup": action("owner", *INSTANCE),
    "ganeti:instance_shutdown": action("owner", *INSTANCE),
    "ganeti:instance_reboot": action("owner", *INSTANCE),
    "ganeti:instance_action_confirm": form("owner", "action_token"),
    "ganeti:owner_lookup": view("owner", params=("q",), answers="json"),
    "ganeti:instance_reinstall": form("owner", *INSTANCE),
    "ganeti:instance_destroy": form("owner", *INSTANCE),
    "ganeti:instance_rename": form("owner", *INSTANCE),
    "ganeti:instance_config": form("owner", *INSTANCE),
    "ganeti:instance_owners": form("owner", *INSTANCE),
    "ganeti:instance_lock": form("superuser", *INSTANCE),
    "ganeti:instance_isolate": form("superuser", *INSTANCE),
    "ganeti:instance_console": view("owner", *INSTANCE),
    "ganeti:instance_console_token": action("owner", *INSTANCE, answers="json"),
    # -- graphs
    "ganeti:graphs_all": view("superuser", params=("cluster",)),
    "ganeti:cluster_graphs": view("superuser", "cluster", params=("nodes",)),
    "ganeti:instance_graph": view("owner", *INSTANCE, "graph_type", params=("start", "end", "nic")),
    # -- helpdesk: clusters, nodes, jobs
    "ganeti:cluster_detail": view("helpdesk", params=("cluster",)),
    "ganeti:cluster_detail_json": view("helpdesk", params=("cluster",), answers="json"),
    "ganeti:cluster_refresh": form("helpdesk", fields=("cluster",), page="ganeti:cluster_detail"),
    "ganeti:nodes": view("helpdesk", params=("q", "cluster", "role", "page")),
    "ganeti:nodes_json": view("helpdesk", params=("q", "cluster", "role", "page"), answers="json"),
    "ganeti:instance_popup": view("helpdesk", params=("cluster", "instance")),
    "ganeti:job_detail": view("helpdesk", params=("cluster", "jobid")),
    "ganeti:jobs": view("helpdesk", params=("status", "cluster", "page")),
    "ganeti:jobs_json": view("helpdesk", params=("status", "cluster", "page"), answers="json"),
    "ganeti:clear_cache": action("superuser", fields=("next",)),
    # -- accounts
    "accounts:login": form("anonymous"),
    "accounts:logout": action("owner", fields=("next",)),
    "accounts:register": form("anonymous"),
    "accounts:register_complete": view("anonymous"),
    "accounts:activate": form("anonymous", "activation_key"),
    "accounts:approve": form("superuser", "profile_id"),
    "accounts:password_reset": form("anonymous"),
    "accounts:password_reset_done": view("anonymous"),
    # the mailed link keeps its token in the session and moves to .../set-password/ (prepare() follows it)
    "accounts:password_reset_confirm": form("anonymous", "reset_uid", "set_password"),
    "accounts:password_reset_complete": view("anonymous"),
    "accounts:profile": view("owner"),
    "accounts:name_change": form("owner", page="accounts:profile"),
    "accounts:mail_change": form("owner", page="accounts:profile"),
    "accounts:email_change_confirm": form("owner", "email_token"),
    "accounts:other_change": form("owner", page="accounts:profile"),
    "accounts:pass_change": form("owner", page="accounts:profile"),
    "accounts:ssh_keys": form("owner"),
    "accounts:ssh_key_delete": action("owner", "key_id"),
    "accounts:idle_accounts": view("superuser", params=("page",)),
    "accounts:user_info": view("superuser", "person", params=("page",)),
    "accounts:group_info": view("superuser", "group", params=("page",)),
    # -- applications
    "apply:apply": form("owner"),
    "apply:my_applications": view("owner", params=("page",)),
    "apply:application_list": view("superuser", params=("q", "show", "page")),
    "apply:application_save": form("superuser"),
    "apply:placement_options": view("superuser", params=("cluster", "application")),
    "apply:application_detail": view("superuser", "application"),
    "apply:application_review": form("superuser", "application", fields=("action", "refusal_reason")),
    "apply:instance_ssh_keys": view("anonymous", "application", "ssh_cookie"),
    # -- history, notifications, the rest
    "auditlog:history": view("superuser", params=("q", "page")),
    "auditlog:history_json": view("superuser", params=("q", "page"), answers="json"),
    "notifications:compose": form("helpdesk", fields=("preview", "send", "to")),
    "notifications:lookup": view("helpdesk", params=("q", "type"), answers="json"),
    "notifications:archive_detail": view("helpdesk", "notification", params=("page",)),
    "setlang": action("anonymous", fields=("language", "next")),
    "health": view("anonymous", answers="json"),
    "news": view("anonymous"),
    # -- OAuth2: the toolkit's pages
    "oauth2_provider:authorize": form("owner", page_query="authorize_query"),
    "oauth2_provider:token": action("anonymous", answers="oauth", fields=(
        "grant_type", "code", "redirect_uri", "client_id", "client_secret", "refresh_token", "code_verifier",
        "scope", "username", "password")),
    "oauth2_provider:revoke-token": action("anonymous", answers="oauth",
                                           fields=("token", "token_type_hint", "client_id", "client_secret")),
    "oauth2_provider:list": view("owner"),
    "oauth2_provider:register": form("owner"),
    "oauth2_provider:detail": view("owner", "oauth_app"),
    "oauth2_provider:delete": form("owner", "oauth_app"),
    "oauth2_provider:update": form("owner", "oauth_app"),
    "oauth2_provider:authorized-token-list": view("owner"),
    "oauth2_provider:authorized-token-delete": form("owner", "access_token"),
    # -- the admin's own pages (its model pages: ADMIN_MODEL_VIEWS)
    "admin:index": action("superuser"),  # the admin's index, list of an app and link to a row answer every method
    "admin:login": action("anonymous", fields=("username", "password", "next")),
    "admin:logout": action("superuser"),
    "admin:password_change": form("superuser"),
    "admin:password_change_done": view("superuser"),
    # Django's own: its refusals are HTML 403 pages
    "admin:autocomplete": view("superuser", params=("app_label", "model_name", "field_name", "term", "page")),
    "admin:jsi18n": view("superuser"),
    "admin:view_on_site": action("superuser", "flatpage_type", "flatpage"),
    "admin:app_list": action("superuser", "app_label"),
}
# Each registered model's admin pages: fuzzed by test_admin_model_pages (POST to add, history, password change
# (users), change, delete and the list's actions; GET queries on the list).
ADMIN_MODEL_VIEWS = ("add", "change", "delete", "changelist", "history", "password_change")


# -- what hypothesis sends ------------------------------------------------------------------------------

# Surrogates cannot be encoded in a request at all: every other code point may come.
CHARACTERS = st.characters(exclude_categories=["Cs"])
ODD = st.sampled_from(["", " ", "0", "-1", "1e9", "NaN", "inf", "9" * 40, "true", "on", "null", "[]", "{}", "%00",
                       "../../etc/passwd", "' OR 1=1 --", "<script>alert(1)</script>", "ελληνικά", "\x00",
                       "a\x00b", "\r\n", "0x10", "١٢٣"])
VALUES = st.one_of(
    st.text(CHARACTERS, max_size=30),
    st.text(st.characters(categories=["Cc"]), min_size=1, max_size=5),  # control characters, NUL among them
    st.builds(lambda piece, times: piece * times, st.text(CHARACTERS, min_size=1, max_size=3),
              st.integers(300, 5_000)),  # very long
    st.integers(-(10 ** 30), 10 ** 30).map(str),
    st.floats().map(str),
    ODD,
)
UNKNOWN_KEYS = st.text(CHARACTERS, min_size=1, max_size=15)


def post_data(known: dict[str, list[str]], defaults: dict[str, str]):
    """A form's data: often the page's own values with some replaced, dropped or added; keys from the
    form's field names and unknown ones; values generated or one of a field's own choices, single or
    repeated."""
    choices = sorted({value for values in known.values() for value in values})
    value = st.one_of(VALUES, st.sampled_from(choices)) if choices else VALUES
    keys = st.one_of(st.sampled_from(sorted(known)), UNKNOWN_KEYS) if known else UNKNOWN_KEYS
    changes = st.dictionaries(keys, st.one_of(value, st.lists(value, min_size=2, max_size=3)), max_size=len(known) + 2)
    dropped = st.sets(st.sampled_from(sorted(defaults))) if defaults else st.just(set())

    def combine(from_page, dropped, changes):
        base = {key: item for key, item in defaults.items() if key not in dropped} if from_page else {}
        return {**base, **changes}

    return st.builds(combine, st.booleans(), dropped, changes)


# One request: the data urlencoded or multipart, as a page or an htmx fragment, in English or Greek.
REQUEST_SHAPE = st.tuples(st.booleans(), st.booleans(), st.booleans())


def query_data(params):
    return post_data({name: [] for name in params}, {})


# -- reading a page's form ------------------------------------------------------------------------------

class FormFields(HTMLParser):
    """What a browser would submit from the page's forms that post to `target`: every field name with the
    values its page offers (option and checkbox values), and the values it would send unchanged."""

    def __init__(self, target: str):
        super().__init__(convert_charrefs=True)
        self.target = target
        self.known: dict[str, list[str]] = {}
        self.defaults: dict[str, str] = {}
        self._in_form = False
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            action = (attrs.get("action") or attrs.get("hx-post") or "").split("?")[0]
            self._in_form = action in ("", self.target)
            return
        name = attrs.get("name")
        if not self._in_form or (name in (None, "csrfmiddlewaretoken") and tag != "option"):
            return
        if tag in ("input", "button"):
            kind = attrs.get("type", "text")
            value = attrs.get("value") or ("on" if kind in ("checkbox", "radio") else "")
            self.known.setdefault(name, []).append(value)
            if kind not in ("checkbox", "radio", "submit", "button", "image", "reset") or "checked" in attrs:
                self.defaults.setdefault(name, value)
        elif tag == "select":
            self._select = name
            self.known.setdefault(name, [])
        elif tag == "option" and self._select:
            self.known[self._select].append(attrs.get("value") or "")
            if "selected" in attrs:
                self.defaults[self._select] = attrs.get("value") or ""
        elif tag == "textarea":
            self._textarea = name
            self.known.setdefault(name, [])
            self.defaults[name] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.defaults[self._textarea] += data


def form_fields(client, page_url: str, target: str) -> tuple[dict, dict]:
    page = client.get(page_url)
    assert page.status_code < 500, (page_url, page.status_code)
    parser = FormFields(target)
    if "html" in page.get("Content-Type", ""):
        parser.feed(page.content.decode())
    return parser.known, parser.defaults


# -- the world the routes act on ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fuzz_sim(tmp_path_factory):
    """One simulated cluster for the module, and the name of an instance alice owns (each test that uses it
    puts it back as it was)."""
    with ExitStack() as stack:
        sim = start_simulator(tmp_path_factory.mktemp("fuzz-sim"), instances=4, owners="alice", seed=3,
                              job_duration_ms=0)
        stack.callback(sim.stop)
        yield sim, next(name for name in names(sim) if f"{PREFIX}:user:alice" in tags_of(sim, name))


@pytest.fixture(scope="module")
def password_hash():
    """Hashing a password costs a good part of a second: once for the module."""
    return make_password("alice-secret-pw")


class World:
    """The users, rows and tokens the routes' URL arguments name (Route.args), each made when first asked
    for: a test pays only for what its route needs."""

    graph_type, set_password, app_label = "cpu-ts", "set-password", "ganeti"
    redirect_uri = "https://client.example.org/callback"

    def __init__(self, sim, instance_name, password_hash, users):
        self.sim, self.instance_name, self.password_hash, self.users = sim, instance_name, password_hash, users

    def everything(self):
        """Every row, for the admin's pages (the superuser first: the newest user is the one they change)."""
        for name in ("superuser", "instance", "network", "organization", "queue_problem", "notification", "audit_entry",
                     "key_id", "flatpage", "action_token", "profile_id", "access_token"):
            getattr(self, name)

    @cached_property
    def superuser(self):
        return self.users.create_superuser("root", "root@example.org")

    @cached_property
    def helpdesk(self):
        helpdesk = self.users.create_user("hal", "hal@example.org", is_staff=True)
        helpdesk.user_permissions.add(*Permission.objects.filter(codename__in=[
            "view_instances", "view_all_graphs", "can_view_notif", "view_applications"]))
        return helpdesk

    @cached_property
    def owner(self):
        owner = self.users.create_user("alice", "alice@example.org", first_name="Alice")
        owner.password = self.password_hash
        owner.save()
        Group.objects.create(name="staff").user_set.add(owner)
        return owner

    @cached_property
    def person(self):
        return self.owner.username

    @cached_property
    def group(self):
        return self.owner.groups.get().name

    @cached_property
    def cluster_row(self):
        return add_cluster(self.sim, "c1")

    @cached_property
    def cluster(self):
        return self.cluster_row.slug

    @cached_property
    def instance(self):
        _put_back(self.sim, self.instance_name)
        return self.instance_name

    @cached_property
    def network(self):
        return Network.objects.create(cluster=self.cluster_row, link="br0", description="Public",
                                      cluster_default=True).pk

    @cached_property
    def organization(self):
        return Organization.objects.create(title="GRNET", tag="grnet", email="noc@example.org").pk

    @cached_property
    def application_row(self):
        return InstanceApplication.objects.create(
            hostname="vm1.example.org", memory=512, vcpus=1, disk_size=2, operating_system="debian",
            comments="fuzz", applicant=self.owner, cluster=self.cluster_row, disk_template="plain",
            status=ApplicationStatus.PENDING)

    @cached_property
    def application(self):
        return self.application_row.pk

    @cached_property
    def ssh_cookie(self):
        return self.application_row.ssh_keys_cookie

    @cached_property
    def queue_problem(self):
        return QueueProblem.objects.create(message_type="CREATE", body="{}", reason="fuzz",
                                           application=self.application_row).pk

    @cached_property
    def notification(self):
        return Notification.objects.create(sender=self.helpdesk, subject="Maintenance", body="Hello").pk

    @cached_property
    def audit_entry(self):
        return AuditEntry.objects.create(requester=self.owner, cluster=self.cluster_row, cluster_slug=self.cluster,
                                         instance_name="vm1.example.org", action="reboot").pk

    @cached_property
    def key_id(self):
        key_type, public_key, comment = SSH_KEY.split()
        return SshKey.objects.create(user=self.owner, key_type=key_type, public_key=public_key, comment=comment,
                                     fingerprint="SHA256:fuzz").pk

    @cached_property
    def flatpage(self):
        flatpage = FlatPage.objects.create(url="/info/", title="Info", content="<p>Info</p>")
        flatpage.sites.add(Site.objects.get_current())
        return flatpage.pk

    @cached_property
    def flatpage_type(self):
        return ContentType.objects.get_for_model(FlatPage).pk

    @cached_property
    def action_token(self):
        """The owner's pending reinstall link."""
        token = "fuzz-action-link"
        InstanceActionRequest.objects.create(
            user=self.owner, cluster=self.cluster_row, instance_name=self.instance, action="reinstall",
            token_hash=_token_hash(token), expires_at=timezone.now() + timedelta(days=1))
        return token

    @cached_property
    def email_token(self):
        return signing.dumps({"u": self.owner.pk, "old": self.owner.email, "new": "alice@new.example.org",
                              "s": EMAIL_STEP_OLD, "n": profile_of(self.owner).email_changes}, salt=EMAIL_CHANGE_SALT)

    @cached_property
    def reset_uid(self):
        return urlsafe_base64_encode(force_bytes(self.owner.pk))

    @cached_property
    def reset_token(self):
        return default_token_generator.make_token(self.owner)

    @cached_property
    def registration(self):
        newcomer = self.users.create_user("newbie", "newbie@example.org", is_active=False)
        return SupervisedRegistrationProfile.objects.create(user=newcomer, activation_key="fuzz-activation-key")

    @cached_property
    def activation_key(self):
        return self.registration.activation_key

    @cached_property
    def profile_id(self):
        return self.registration.pk

    @cached_property
    def oauth_app_row(self):
        return Application.objects.create(name="Lister", user=self.owner, client_type=Application.CLIENT_PUBLIC,
                                          authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
                                          redirect_uris=self.redirect_uri)

    @cached_property
    def oauth_app(self):
        return self.oauth_app_row.pk

    @cached_property
    def access_token(self):
        return AccessToken.objects.create(user=self.owner, application=self.oauth_app_row, token="fuzz-token",
                                          scope="read", expires=timezone.now() + timedelta(hours=1)).pk

    @cached_property
    def authorize_query(self):
        return urlencode({"client_id": self.oauth_app_row.client_id, "response_type": "code",
                          "redirect_uri": self.redirect_uri, "scope": "read", "state": "xyz",
                          "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                          "code_challenge_method": "S256"})


@pytest.fixture
def world(fuzz_sim, password_hash, django_user_model, settings):
    settings.WEBSOCK_VNC_ENABLED = True
    sim, instance_name = fuzz_sim
    return World(sim, instance_name, password_hash, django_user_model.objects)


def _put_back(sim, name):
    """The instance owned by alice, unlocked, not isolated and running, whatever an earlier test posted."""
    instance = sim.request("GET", f"/2/instances/{name}")[1]
    owner = f"{PREFIX}:user:alice"
    stray = [tag for tag in instance["tags"] if tag in (f"{PREFIX}:adminlock", f"{PREFIX}:isolate")
             or tag.startswith(f"{PREFIX}:whitelist_ip:")]
    if stray or owner not in instance["tags"]:
        set_tags(sim, name, add=[owner], remove=stray)
    if instance["status"] != "running":
        sim.run_job("PUT", f"/2/instances/{name}/startup")


def act_as(client, world, role):
    """Log in as `role` unless the session is that user's already (an example may have logged out)."""
    if role == "anonymous":
        client.cookies.clear()
        return
    user = getattr(world, role)
    if client.session.get(SESSION_KEY) != str(user.pk):
        user.refresh_from_db()  # after a fuzzed password change
        client.force_login(user)


def prepare(client, world, name):
    """What the route needs in the session before each example."""
    if name == "accounts:password_reset_confirm":
        client.get(reverse(name, args=[world.reset_uid, world.reset_token]))


def check(response, answers, what):
    """The answer to fuzzed input: never a server error; a JSON endpoint's error is JSON with a code."""
    assert response.status_code < 500, (what, response.status_code, response.content[:500])
    if answers != "html" and response.status_code >= 400:
        assert response["Content-Type"].startswith("application/json"), (what, response.status_code)
        error = json.loads(response.content)["error"]
        code = error if answers == "oauth" else error["code"]
        assert isinstance(code, str) and code, (what, error)


def send(client, method, url, data, shape):
    urlencoded, htmx, greek = shape
    headers = {"HTTP_ACCEPT_LANGUAGE": "el" if greek else "en"}
    if htmx:
        headers["HTTP_HX_REQUEST"] = "true"
    if method == "GET":
        return client.get(url, data, **headers)
    if urlencoded:
        return client.post(url, urlencode(data, doseq=True), content_type="application/x-www-form-urlencoded",
                           **headers)
    return client.post(url, data, **headers)


def fuzz_post(client, world, url, role, known, defaults, answers, what, name=None, examples=EXAMPLES):
    @bounded(examples)
    @given(post_data(known, defaults), REQUEST_SHAPE)
    def run(data, shape):
        act_as(client, world, role)
        prepare(client, world, name)
        check(send(client, "POST", url, data, shape), answers, what)

    run()


def fuzz_get(client, world, url, role, params, answers, what, examples=EXAMPLES):
    @bounded(examples)
    @given(query_data(params), REQUEST_SHAPE)
    def run(query, shape):
        act_as(client, world, role)
        check(send(client, "GET", url, query, shape), answers, what)

    run()


def url_of(name, route, world):
    return reverse(name, args=[getattr(world, arg) for arg in route.args])


# -- the tests --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(name for name, route in ROUTES.items() if route.post))
def test_fuzzed_form_posts_never_give_a_server_error(client, world, name):
    route = ROUTES[name]
    url = url_of(name, route, world)
    known, defaults = {}, {}
    if route.page:
        act_as(client, world, route.role)
        prepare(client, world, name)
        page_url = url if route.page == SELF else reverse(route.page)
        if route.page_query:
            page_url += "?" + getattr(world, route.page_query)
        known, defaults = form_fields(client, page_url, url)
    for field in route.fields:
        known.setdefault(field, [])
    fuzz_post(client, world, url, route.role, known, defaults, route.answers, name, name)


@pytest.mark.parametrize("name", sorted(name for name, route in ROUTES.items() if not route.post))
def test_other_routes_refuse_posts_and_take_fuzzed_queries(client, world, name):
    route = ROUTES[name]
    url = url_of(name, route, world)
    act_as(client, world, "superuser" if route.role == "anonymous" else route.role)
    assert client.post(url, {"x": "1"}).status_code == 405, f"{name} takes a POST: give it a form row in ROUTES"
    fuzz_get(client, world, url, route.role, route.params + LIST, route.answers, name)


def admin_url_names() -> set[str]:
    return {name for name, _pattern in _routes(get_resolver()) if name and name.startswith("admin:")}


def admin_models():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.mark.parametrize("model, model_admin", admin_models(), ids=[model._meta.label for model, _ in admin_models()])
def test_admin_model_pages(client, world, model, model_admin):
    """Add, change (the newest row), delete it, the list's actions and its search, filters and ordering."""
    info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    world.everything()
    newest = model._default_manager.order_by("-pk").first()
    object_id = newest.pk if newest is not None else 0
    pages = [(f"{info}_add", [])]
    if newest is not None:
        pages += [(f"{info}_{page}", [object_id]) for page in ("history", "password_change", "change", "delete")
                  if f"{info}_{page}" in admin_url_names()]
    act_as(client, world, "superuser")
    for page_name, args in pages:
        url = reverse(page_name, args=args)
        known, defaults = form_fields(client, url, url)
        fuzz_post(client, world, url, "superuser", known, defaults, "html", page_name, examples=ADMIN_EXAMPLES)
    changelist = reverse(f"{info}_changelist")
    known, defaults = form_fields(client, changelist, changelist)
    known.setdefault("_selected_action", []).append(str(object_id))
    fuzz_post(client, world, changelist, "superuser", known, defaults, "html", changelist, examples=ADMIN_EXAMPLES)
    fuzz_get(client, world, changelist, "superuser", ("q", "o", "p", "e", "_to_field", "_popup", "all"), "html",
             changelist, examples=ADMIN_EXAMPLES)


# -- the guard --------------------------------------------------------------------------------------------

def _routes(resolver, prefix="", namespace=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _routes(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield (f"{namespace}{entry.name}" if entry.name else None), prefix + str(entry.pattern)


def _described_in_openapi(pattern: str) -> bool:
    paths = json.loads((PROJECT_DIR / "api" / "openapi.json").read_text())["paths"]
    return "/" + pattern.replace("<str:", "{").replace(">", "}") in paths


def test_every_route_is_fuzzed():
    admin_pages = {f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}"
                   for model, _ in admin.site._registry.items() for page in ADMIN_MODEL_VIEWS}
    routes = list(_routes(get_resolver()))
    assert len(routes) > 100  # the walk finds them at all
    missing = []
    for name, pattern in routes:
        if name is None:  # the admin's redirects and catch-all, which answer every method alike
            assert pattern.startswith("admin/"), pattern
        elif name.startswith("api:"):
            assert _described_in_openapi(pattern), f"{name}: not in api/openapi.json, so schemathesis misses it"
        elif name not in ROUTES and name not in admin_pages:
            missing.append(name)
    assert not missing, f"routes without a row in the form fuzzer's ROUTES: {missing}"
