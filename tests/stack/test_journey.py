"""The whole product through nginx, as its people meet it, on the production stack (tests/stack/stack.py)
with a small simulated cluster and the real Ganeti testbed (cluster "real"):

a visitor registers, validates the address from the mail, an administrator approves the account from the
mailed link; the user adds an SSH key and applies for a VM on the real cluster; the administrator accepts
and submits it; the watcher creates it on Ganeti; the user reboots and shuts it down, renames it through the
mailed link and reads the history; a helpdesk user finds its jobs and its node and notifies its owner; an
OAuth client lists it; the user pages in Greek; at last the user destroys it through the mailed link.
Every step leaves a screenshot in artifact_dir("journey"); no request may end in a 5xx.

The testbed is shared: the instance's names are unique to the run and a finalizer deletes whatever is left."""

import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.utils import translation
from playwright.sync_api import Browser, Page, expect

from tests.contract.backends import RapiBackend, delete_quietly, make_backend
from tests.helpers import log_in, submit_login
from tests.mail import ADMIN_ADDRESS, link_in
from tests.oauth_browser import authorize_with_pkce, register_public_client
from tests.stack.artifacts import artifact_dir
from tests.stack.stack import Stack, start_stack

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.stack, pytest.mark.browser,
              pytest.mark.real_ganeti,
              # the test's own RAPI and API calls reach self-signed servers unverified
              pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")]

USERNAME, EMAIL, PASSWORD = "nina", "nina@example.org", "nina-journey-passphrase"
ADMIN, ADMIN_PASSWORD = "root", "root-journey-passphrase"
HELPDESK, HELPDESK_PASSWORD = "hal", "hal-journey-passphrase"
OWNER_TAG = f"ganetimgr:user:{USERNAME}"
REDIRECT_URI = "https://client.example.org/callback"
# How long the watcher may take to create the instance on the real cluster, and a job to end there.
CREATE_SECONDS = 180
JOB_SECONDS = 90


@pytest.fixture(scope="module")
def stack(stack_workdir, ganeti_testbed):
    with start_stack(stack_workdir, real_ganeti=ganeti_testbed,
                     simulators={"sim": {"instances": 4, "owners": USERNAME, "cluster_name": "sim.ganeti.test"}},
                     env={"ADMINS": ADMIN_ADDRESS, "MANAGERS": ADMIN_ADDRESS}) as running:
        running.create_user(ADMIN, ADMIN_PASSWORD, email=ADMIN_ADDRESS, superuser=True)
        running.create_user(HELPDESK, HELPDESK_PASSWORD, email="hal@example.org", helpdesk=True)
        yield running


@pytest.fixture
def testbed_rapi(ganeti_testbed) -> RapiBackend:
    return make_backend("real", ganeti_testbed.host, ganeti_testbed.port,
                        (ganeti_testbed.username, ganeti_testbed.password),
                        (ganeti_testbed.readonly_username, ganeti_testbed.readonly_password))


@pytest.fixture
def instance_names(testbed_rapi):
    """The instance's name and its new name, unique to this run; whichever exists at the end is deleted."""
    base = f"journey-{uuid.uuid4().hex[:8]}"
    names = (f"{base}.example.org", f"{base}-renamed.example.org")
    yield names
    for name in names:
        delete_quietly(testbed_rapi, name)


@dataclass
class Journey:
    """What the steps share: the stack, a browser page per person, the instance's names, the screenshots."""

    stack: Stack
    browser: Browser
    rapi: RapiBackend
    name: str
    new_name: str
    shots: Path
    taken: int = 0
    pages: dict[str, Page] = field(default_factory=dict)

    def page(self, who: str, **context_options) -> Page:
        """A browser of its own for each person (cookies apart), on the stack's self-signed https."""
        if who not in self.pages:
            context = self.browser.new_context(base_url=self.stack.url, ignore_https_errors=True, **context_options)
            self.pages[who] = context.new_page()
        return self.pages[who]

    def shot(self, page: Page, step: str) -> None:
        self.taken += 1
        page.screenshot(path=self.shots / f"{self.taken:02d}-{step}.png", full_page=True)

    def mail_link(self, to: str, subject_part: str, about: str = "") -> str:
        """The link in the mail to `to` whose subject has subject_part; its body must name `about` (a long
        subject arrives folded, so an instance's name is looked for in the body)."""
        mail = self.stack.mail.wait_for(to, subject_part, timeout=30)
        assert about in mail["body"], mail
        return link_in(mail["body"])

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()


def greek(msgid: str) -> str:
    """What the Greek catalogue says for msgid (locale/el/LC_MESSAGES/django.po), which must translate it."""
    with translation.override("el"):
        text = translation.gettext(msgid)
    assert text != msgid, f"{msgid!r} has no Greek translation"
    return text


def reload_until(page: Page, path: str, selector: str, timeout: float) -> None:
    """Open path again every 2 s until selector is on it: what the watcher does reaches the lists when the
    cluster's job ends."""
    deadline = time.monotonic() + timeout
    while True:
        page.goto(path)
        if page.locator(selector).count():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{selector} not on {path} within {timeout} s")
        page.wait_for_timeout(2000)


def gone_from_cluster(rapi: RapiBackend, name: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if rapi.raw("GET", f"/2/instances/{name}").status_code == 404:
            return True
        time.sleep(1)
    return False


def test_the_journey(stack, browser, testbed_rapi, instance_names):
    name, new_name = instance_names
    journey = Journey(stack=stack, browser=browser, rapi=testbed_rapi, name=name, new_name=new_name,
                      shots=artifact_dir("journey"))
    try:
        register_validate_approve(journey)
        add_ssh_key(journey)
        application_link = apply_for_a_vm(journey)
        accept_and_submit(journey, application_link)
        created_running(journey)
        reboot_shut_down_rename(journey)
        history(journey)
        helpdesk(journey)
        oauth_client_lists_it(journey)
        greek_pages(journey)
        destroy(journey)
    finally:
        journey.close()
    assert stack.server_errors() == []


def register_validate_approve(journey: Journey) -> None:
    page = journey.page("visitor")
    page.goto("/user/login/")
    page.get_by_role("link", name="Create an account").click()
    page.fill("#id_username", USERNAME)
    page.fill("#id_email", EMAIL)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.fill("#id_first_name", "Nina")
    page.fill("#id_last_name", "Newbie")
    page.fill("#id_organization", "GRNET")
    journey.shot(page, "registration-form")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()

    page.goto(journey.mail_link(EMAIL, "Validate your e-mail address"))
    page.get_by_role("button", name="Validate my address").click()
    expect(page.get_by_text("your address is validated")).to_be_visible()
    journey.shot(page, "address-validated")

    # Not yet approved: the login page says so.
    log_in(page, journey.stack.url, USERNAME, PASSWORD)
    expect(page.locator("#content")).to_contain_text("not active yet")

    admin = journey.page("admin")
    admin.goto(journey.mail_link(ADMIN_ADDRESS, f"Account waiting for approval: {USERNAME}"))
    submit_login(admin, ADMIN, ADMIN_PASSWORD)
    expect(admin.get_by_text("GRNET")).to_be_visible()
    journey.shot(admin, "admin-approves-account")
    admin.get_by_role("button", name="Approve").click()
    expect(admin.get_by_text(f"The account {USERNAME} is active")).to_be_visible()
    journey.stack.mail.wait_for(EMAIL, "Your account is approved", timeout=30)

    log_in(page, journey.stack.url, USERNAME, PASSWORD)
    expect(page.get_by_role("heading", name="Welcome, Nina")).to_be_visible()
    journey.shot(page, "user-logged-in")


def add_ssh_key(journey: Journey) -> None:
    page = journey.page("visitor")
    page.locator("#messages").get_by_role("link", name="SSH keys").click()  # the first login's welcome points there
    key_line = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode() + " nina@laptop"
    page.fill("#id_keys", key_line)
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("Keys added: 1.")).to_be_visible()
    expect(page.locator("#ssh-keys")).to_contain_text("nina@laptop")
    journey.shot(page, "ssh-key-added")


def apply_for_a_vm(journey: Journey) -> str:
    """The application's review link, from the managers' mail."""
    page = journey.page("visitor")
    page.locator("#sidebar").get_by_role("link", name="Apply").click()
    page.fill("#id_hostname", journey.name)
    page.fill("#id_memory", "128")
    page.fill("#id_vcpus", "1")
    page.fill("#id_disk_size", "1")
    page.select_option("#id_operating_system", "none")   # noop: the testbed's fake hypervisor boots nothing
    page.fill("#id_comments", "A server for the journey")
    page.fill("#id_admin_contact_name", "Nina Newbie")
    page.fill("#id_admin_contact_phone", "+30 210 0000000")
    page.check("#id_accept_terms")
    journey.shot(page, "application-form")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text(re.compile(r"filed with id #\d+"))).to_be_visible()
    journey.shot(page, "application-filed")
    return journey.mail_link(ADMIN_ADDRESS, "New application", about=journey.name)


def accept_and_submit(journey: Journey, review_link: str) -> None:
    admin = journey.page("admin")
    admin.goto(review_link)
    expect(admin.get_by_role("heading", name=re.compile("Review application"))).to_be_visible()
    real = journey.stack.django("from ganeti.models import Cluster\nresult = Cluster.objects.get(slug='real').pk")
    admin.select_option("#id_cluster", str(real))
    # htmx reloads the placement with the real cluster's disk templates.
    expect(admin.locator("#id_disk_template option[value=file]")).to_have_count(1)
    admin.select_option("#id_disk_template", "file")
    journey.shot(admin, "admin-reviews-application")
    admin.get_by_role("button", name="Accept and submit").click()
    expect(admin.get_by_text("accepted and submitted to")).to_be_visible()
    journey.shot(admin, "application-submitted")


def created_running(journey: Journey) -> None:
    page = journey.page("visitor")
    row = f'tr[data-instance="{journey.name}"]'
    reload_until(page, "/", f'{row} [data-label="running"]', timeout=CREATE_SECONDS)
    journey.shot(page, "instance-running")
    instance = journey.rapi.client.get_instance(journey.name)
    assert OWNER_TAG in instance["tags"]
    assert instance["status"] == "running" and instance["disk_template"] == "file"
    journey.stack.mail.wait_for(EMAIL, f"{journey.name} is ready", timeout=30)


def run_panel_action(journey: Journey, page: Page, label: str, step: str) -> None:
    """label's button in the instance's action panel, confirmed in the dialog: the job shows pending, then ends."""
    panel = page.locator("#instance-panel")
    panel.get_by_role("button", name=label).click()
    dialog = page.locator("#confirm-action")
    expect(dialog).to_contain_text(journey.name)
    dialog.get_by_role("button", name=label).click()
    expect(panel.get_by_text(re.compile(rf"{label} .*: job \d+ submitted\."))).to_be_visible()
    expect(panel.locator('[data-label="job_pending"]')).to_be_visible()
    journey.shot(page, f"{step}-pending")
    expect(panel.locator('[data-label="job_pending"]')).to_have_count(0, timeout=JOB_SECONDS * 1000)
    journey.shot(page, f"{step}-done")


def reboot_shut_down_rename(journey: Journey) -> None:
    page = journey.page("visitor")
    page.get_by_role("link", name=journey.name, exact=True).click()
    expect(page.get_by_role("heading", name=journey.name)).to_be_visible()
    panel = page.locator("#instance-panel")

    run_panel_action(journey, page, "Reboot", "reboot")
    expect(panel.locator('[data-label="running"]')).to_be_visible()
    run_panel_action(journey, page, "Shut down", "shutdown")
    expect(panel.locator('[data-label="stopped"]')).to_be_visible()
    assert journey.rapi.client.get_instance(journey.name)["admin_state"] == "down"

    page.locator("#instance-changes").get_by_role("link", name="Rename").click()
    page.fill("#id_new_name", journey.new_name)
    journey.shot(page, "rename-form")
    page.get_by_role("button", name="E-mail me the confirmation link").click()
    expect(page.locator("#messages")).to_contain_text(f"We mailed a confirmation link to {EMAIL}")
    page.goto(journey.mail_link(EMAIL, "Instance rename requested", about=journey.new_name))
    expect(page.get_by_role("heading", name=f"Rename {journey.name} to {journey.new_name}?")).to_be_visible()
    journey.shot(page, "rename-confirm")
    page.get_by_role("button", name="Rename now").click()
    expect(page.locator("#messages")).to_contain_text(f"Renaming {journey.name} to {journey.new_name}")
    reload_until(page, "/", f'tr[data-instance="{journey.new_name}"]', timeout=JOB_SECONDS)
    expect(page.locator(f'tr[data-instance="{journey.name}"]')).to_have_count(0)
    journey.shot(page, "renamed")
    assert journey.rapi.client.get_instance(journey.new_name)["name"] == journey.new_name
    assert journey.rapi.raw("GET", f"/2/instances/{journey.name}").status_code == 404


def history(journey: Journey) -> None:
    page = journey.page("visitor")
    page.locator("#sidebar").get_by_role("link", name="History").click()
    entries = page.locator("#content tbody tr", has_text=f"real/{journey.name}")
    for action in ("reboot", "shut down", "rename"):
        expect(entries.filter(has_text=action).filter(has_text="ended: success")).to_have_count(1)
    journey.shot(page, "history")


def helpdesk(journey: Journey) -> None:
    page = journey.page("helpdesk")
    log_in(page, journey.stack.url, HELPDESK, HELPDESK_PASSWORD)
    page.goto("/jobs/")
    page.locator("#job-cluster").select_option("real")
    expect(page).to_have_url(re.compile(r"cluster=real"))
    # Ganeti's job summaries name the instance (a rename's names neither name).
    jobs = page.locator("#job-list tbody")
    for operation in ("INSTANCE_CREATE", "INSTANCE_REBOOT", "INSTANCE_SHUTDOWN"):
        expect(jobs.get_by_text(f"{operation}({journey.name})")).to_have_count(1)
    expect(page.locator('#job-list tbody tr[data-job^="sim-"]')).to_have_count(0)
    journey.shot(page, "helpdesk-jobs")

    node = journey.rapi.client.get_instance(journey.new_name)["pnode"]
    page.goto("/cluster/nodes/?cluster=real")
    row = page.locator(f'tr[data-node="{node}"]')
    row.locator("summary").click()
    expect(row.get_by_role("link", name=journey.new_name)).to_be_visible()
    journey.shot(page, "helpdesk-nodes")

    page.goto(f"/instances/real/{journey.new_name}/")
    page.locator("#notify-owners").click()
    expect(page.locator('#recipient-chosen input[value="i_real/' + journey.new_name + '"]')).to_be_checked()
    page.fill("#id_subject", "Maintenance of your VM")
    page.fill("#id_body", "Hello {{ user.username }}, {{ instances|join:', ' }} restarts on Tuesday.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#notification-preview")).to_contain_text(EMAIL)
    journey.shot(page, "helpdesk-notification-preview")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#messages")).to_contain_text("Notification sent to 1 recipient.")
    mail = journey.stack.mail.wait_for(EMAIL, "Maintenance of your VM", timeout=30)
    assert mail["body"].strip() == f"Hello {USERNAME}, {journey.new_name} restarts on Tuesday."
    journey.shot(page, "helpdesk-notification-sent")


def oauth_client_lists_it(journey: Journey) -> None:
    page = journey.page("visitor")
    page.locator("#user-menu").click()
    page.locator("#user-menu + .dropdown-menu").get_by_role("link", name="API applications").click()
    client_id = register_public_client(page, "Journey lister", REDIRECT_URI)
    journey.shot(page, "oauth-client-registered")
    verifier, _url, query = authorize_with_pkce(page, "", client_id, REDIRECT_URI, state="j0urney",
                                                on_consent=lambda consent: journey.shot(consent, "oauth-consent"))
    assert query["state"] == ["j0urney"]

    client = journey.stack.requests_session()
    token = client.post(journey.stack.url + "/o/token/", timeout=20, data={
        "grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": REDIRECT_URI,
        "client_id": client_id, "code_verifier": verifier})
    assert token.status_code == 200, token.text
    listed = client.get(journey.stack.url + "/instances/list/", timeout=20,
                        headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert listed.status_code == 200, listed.text
    assert listed.json()["user"]["username"] == USERNAME
    response = listed.json()["response"]
    assert journey.new_name in response["instances"]
    assert (response["errors"], response["failed_clusters"]) == (False, [])


def greek_pages(journey: Journey) -> None:
    """The user's pages in a browser that asks for Greek (Accept-Language)."""
    page = journey.page("greek", locale="el-GR")
    log_in(page, journey.stack.url, USERNAME, PASSWORD)
    for path, msgid, step in [
            ("/", "My instances", "el-home"),
            (f"/instances/real/{journey.new_name}/", "Actions", "el-instance"),
            ("/application/apply/", "Apply for a virtual machine", "el-apply"),
            ("/history/", "History", "el-history"),
            ("/user/profile/", "Profile", "el-profile")]:
        page.goto(path)
        expect(page.locator("#content")).to_contain_text(greek(msgid))
        journey.shot(page, step)


def destroy(journey: Journey) -> None:
    page = journey.page("visitor")
    page.goto(f"/instances/real/{journey.new_name}/")
    page.locator("#instance-changes").get_by_role("link", name="Destroy").click()
    page.get_by_role("button", name="E-mail me the confirmation link").click()
    expect(page.locator("#messages")).to_contain_text(f"We mailed a confirmation link to {EMAIL}")
    page.goto(journey.mail_link(EMAIL, "Instance destruction requested", about=journey.new_name))
    journey.shot(page, "destroy-confirm")
    page.get_by_role("button", name="Destroy now").click()
    expect(page.locator("#messages")).to_contain_text(f"Destroying {journey.new_name}")
    assert gone_from_cluster(journey.rapi, journey.new_name, timeout=JOB_SECONDS)
    reload_until(page, "/", f'#instance-list:not(:has(tr[data-instance="{journey.new_name}"]))', timeout=JOB_SECONDS)
    journey.shot(page, "destroyed")
