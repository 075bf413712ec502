"""Fault drills on the whole stack (tests/stack/stack.py): while approved applications are being created,
beanstalkd, a watcher and Redis are killed and restarted, and one cluster stops answering while another
answers 500s. Through it all nginx logs no 5xx, every application ends created exactly once (one create
job per name on its cluster, one instance, one pair of mails), and every user action has its audit entry.

The stack has three simulated clusters ("good", "slow", "broken"), two watchers, and a beanstalkd without
a binlog: restarted, it has lost every message, and only the watchers' re-enqueue on connect (the
database is the truth) brings the applications back.
"""

import re
import time

import psycopg
import pytest
from bs4 import BeautifulSoup

from tests.mail import ADMIN_ADDRESS
from tests.stack.stack import start_stack

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.stack]

PASSWORD = "drills-password"
ALICE = "alice@example.org"
BATCH = 10
FINISHED = ("success", "failed")
REDIS_BANNER = "The cache service is not answering"

# Alice's applications for hostnames on cluster, pending (to review), or approved and submitted through the
# service that the review's "Accept and submit" calls (result: whether beanstalkd took each message).
FILE_APPLICATIONS = """
from django.contrib.auth import get_user_model
from apply.models import ApplicationStatus, InstanceApplication
from apply.services import application_submit
from ganeti.models import Cluster

users = get_user_model().objects
admin, alice = users.get(username="admin"), users.get(username="alice")
result = []
for hostname in hostnames:
    application = InstanceApplication.objects.create(
        hostname=hostname, memory=512, vcpus=1, disk_size=2, operating_system="debian", comments="fault drill",
        applicant=alice, language="en", cluster=Cluster.objects.get(slug=cluster), disk_template="plain",
        status=ApplicationStatus.APPROVED if submit else ApplicationStatus.PENDING,
        reviewer=admin if submit else None)
    result.append(application_submit(application=application, user=admin).queued if submit else application.pk)
"""
QUEUE_DOWN = "the job queue is not reachable right now"


@pytest.fixture(scope="module")
def stack(stack_workdir):
    simulators = {
        # Creates take a few seconds, so that every drill finds some of them in flight.
        "good": {"instances": 6, "owners": "alice", "seed": 3, "job_duration_ms": 1500},
        "slow": {"instances": 2, "owners": "alice", "seed": 4},
        "broken": {"instances": 2, "owners": "alice", "seed": 5},
    }
    env = {"MANAGERS": ADMIN_ADDRESS, "ADMINS": ADMIN_ADDRESS,
           # A cluster that does not answer costs a page seconds, not the default minute, and is asked again soon;
           # a snapshot older than 2 s is fetched before the page renders, so a page shows a fault at once.
           "RAPI_CONNECT_TIMEOUT": "2", "RAPI_RESPONSE_TIMEOUT": "3", "INVENTORY_RETRY_SECONDS": "3",
           "INVENTORY_FRESH_SECONDS": "1", "INVENTORY_STALE_SECONDS": "2"}
    with start_stack(stack_workdir, simulators=simulators, watchers=2, env=env, beanstalk_binlog=False) as running:
        running.create_user("alice", PASSWORD, email=ALICE)
        running.create_user("admin", PASSWORD, email=ADMIN_ADDRESS, superuser=True)
        running.create_user("helpdesk", PASSWORD, email="helpdesk@example.org", helpdesk=True)
        yield running


@pytest.fixture(autouse=True)
def nothing_failed_out_of_sight(stack):
    """Each drill ends with nginx having logged no 5xx during it, and no queue message buried (admins
    would find it under Applications → Queue problems)."""
    before = len(stack.server_errors())
    yield
    assert stack.server_errors()[before:] == []
    assert query(stack, "SELECT message_type, reason FROM apply_queueproblem") == []


def log_in(stack, username):
    """A requests session logged in through the login form, as a browser does."""
    session = stack.requests_session()
    login_url = stack.url + "/user/login/"
    form = session.get(login_url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    landed = session.post(login_url, data={"csrfmiddlewaretoken": token, "username": username,
                                           "password": PASSWORD, "next": "/"}, headers={"Referer": login_url})
    assert landed.status_code == 200 and landed.url == stack.url + "/", landed.text[:500]
    return session


def post(stack, session, path):
    """A POST of the page's buttons (CSRF token from the cookie, same-origin Referer)."""
    return session.post(stack.url + path, headers={"X-CSRFToken": session.cookies["csrftoken"],
                                                   "Referer": stack.url + "/"})


def submit(stack, cluster, hostnames):
    """Submit approved applications for hostnames on cluster; whether beanstalkd took each message."""
    return stack.django(FILE_APPLICATIONS, cluster=cluster, hostnames=hostnames, submit=True)


def review_form_values(html):
    """What the browser sends for the review form as the page shows it."""
    form = BeautifulSoup(html, "html.parser").find("form", id="review-form")
    values = {}
    for field in form.find_all(["input", "select", "textarea"]):
        name = field.get("name")
        if not name or field.get("type") == "submit" or field.has_attr("disabled"):
            continue
        if field.name == "select":
            option = field.find("option", selected=True) or field.find("option")
            values[name] = option.get("value", "") if option else ""
        elif field.name == "textarea":
            values[name] = field.text
        elif field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                values[name] = field.get("value", "on")
        else:
            values[name] = field.get("value", "")
    return values


def review_and_submit(stack, admin, cluster, hostnames):
    """The admin opens each (pending, placed on cluster) application's review page and presses Accept and
    submit, over HTTP through nginx; the pages it lands on."""
    landed = []
    for pk in stack.django(FILE_APPLICATIONS, cluster=cluster, hostnames=hostnames, submit=False):
        review = admin.get(f"{stack.url}/application/{pk}/review/")
        assert review.status_code == 200, review.text[:500]
        answer = admin.post(review.url, data={**review_form_values(review.text), "action": "submit"},
                            headers={"Referer": review.url})
        assert answer.status_code == 200 and answer.url == f"{stack.url}/application/{pk}/", answer.text[:2000]
        landed.append(answer.text)
    return landed


def query(stack, sql, *params):
    with psycopg.connect(stack.env["DATABASE_URL"]) as connection:
        return connection.execute(sql, params).fetchall()


def statuses(stack, hostnames):
    return dict(query(stack, "SELECT hostname, status FROM apply_instanceapplication WHERE hostname = ANY(%s)",
                      list(hostnames)))


def wait_until_finished(stack, hostnames, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        found = statuses(stack, hostnames)
        if len(found) == len(hostnames) and all(status in FINISHED for status in found.values()):
            return found
        if time.monotonic() > deadline:
            logs = "\n".join(service.log_path.read_text(errors="replace")[-3000:]
                             for name, service in stack.services.items() if name.startswith("watcher"))
            raise AssertionError(f"not finished after {timeout} s: {found}\n{logs}")
        time.sleep(0.5)


def wait_until_some_started(stack, hostnames, timeout=30):
    """Until at least one of them has its create job on the cluster (the batch is in flight)."""
    deadline = time.monotonic() + timeout
    while not query(stack, "SELECT 1 FROM apply_instanceapplication WHERE hostname = ANY(%s) AND job_id IS NOT NULL",
                    list(hostnames)):
        assert time.monotonic() < deadline, statuses(stack, hostnames)
        time.sleep(0.1)


def assert_created_once(stack, cluster, hostnames):
    """Each application created, by one create job, as one instance, announced by one mail to the applicant
    and one to the managers."""
    assert wait_until_finished(stack, hostnames) == {name: "success" for name in hostnames}
    sim = stack.simulators[cluster]
    jobs = sim.request("GET", "/2/jobs?bulk=1")[1]
    instances = {row["name"] for row in sim.request("GET", "/2/instances?bulk=1")[1]}
    for name in hostnames:
        creates = [job["id"] for job in jobs if f"INSTANCE_CREATE({name})" in (job.get("summary") or [])]
        assert len(creates) == 1, (name, creates)
        assert name in instances
    for name in hostnames:
        stack.mail.wait_for(ALICE, f"Instance {name} is ready", timeout=30)
        stack.mail.wait_for(ADMIN_ADDRESS, f"Instance {name} created on", timeout=30)
    time.sleep(1)  # a second mail would arrive by now
    subjects = [message["subject"] for message in stack.mail.messages()]
    for name in hostnames:
        assert sum(f"Instance {name} is ready" in subject for subject in subjects) == 1, name
        assert sum(f"Instance {name} created on" in subject for subject in subjects) == 1, name


def batch(prefix, count=BATCH):
    return [f"{prefix}-{number}.example.org" for number in range(count)]


def test_beanstalkd_killed_and_restarted_empty_mid_batch_loses_no_application(stack):
    hostnames = batch("queue")
    admin = log_in(stack, "admin")
    landed = review_and_submit(stack, admin, "good", hostnames[:5])
    assert not any(QUEUE_DOWN in page for page in landed)
    wait_until_some_started(stack, hostnames[:5])
    beanstalkd = stack.services["beanstalkd"]
    beanstalkd.kill()
    # Submitted while the queue is down: the reviewer is told; the database says submitted.
    landed = review_and_submit(stack, admin, "good", hostnames[5:])
    assert all(QUEUE_DOWN in page for page in landed)
    assert log_in(stack, "alice").get(stack.url + "/").status_code == 200
    beanstalkd.start()  # no binlog: whatever it held is gone
    assert_created_once(stack, "good", hostnames)


def test_a_watcher_killed_mid_batch_is_covered_by_the_other_and_restarts(stack):
    hostnames = batch("watcher")
    review_and_submit(stack, log_in(stack, "admin"), "good", hostnames)
    wait_until_some_started(stack, hostnames)
    watcher = stack.services["watcher"]
    watcher.kill()
    assert stack.services["watcher-2"].running
    time.sleep(2)  # the other one goes on alone for a while
    watcher.start()
    assert_created_once(stack, "good", hostnames)


def running_instances_of(stack, cluster, owner):
    rows = stack.simulators[cluster].request("GET", "/2/instances?bulk=1")[1]
    return sorted(row["name"] for row in rows
                  if f"ganetimgr:user:{owner}" in row["tags"] and row["status"] == "running")


def test_redis_killed_pages_answer_actions_are_audited_and_sessions_survive(stack):
    hostnames = batch("redis")
    alice = log_in(stack, "alice")
    instance = running_instances_of(stack, "good", "alice")[0]
    review_and_submit(stack, log_in(stack, "admin"), "good", hostnames)
    wait_until_some_started(stack, hostnames)
    redis = stack.services["redis"]
    redis.kill()

    home = alice.get(stack.url + "/")
    assert home.status_code == 200 and home.url == stack.url + "/"
    assert REDIS_BANNER in home.text
    listed = alice.get(stack.url + "/instances/json/").json()
    assert instance in [row["name"] for row in listed["rows"]] and listed["errors"] == []
    page = alice.get(f"{stack.url}/instances/good/{instance}/")
    assert page.status_code == 200 and instance in page.text
    rebooted = post(stack, alice, f"/instances/good/{instance}/reboot/")
    assert rebooted.status_code == 200
    rebooted_job = int(re.search(r"job (\d+) submitted", rebooted.text).group(1))

    redis.start()  # empty: every session and snapshot it held is gone
    home = alice.get(stack.url + "/")
    assert home.status_code == 200 and home.url == stack.url + "/"  # still logged in, not sent to the login
    assert REDIS_BANNER not in home.text
    assert_created_once(stack, "good", hostnames)
    # The reboot's audit entry, with the job's end that the watcher recorded.
    assert query(stack, "SELECT e.details FROM auditlog_auditentry e JOIN auth_user u ON u.id = e.requester_id "
                        "WHERE u.username = 'alice' AND e.action = 'reboot' AND e.instance_name = %s "
                        "AND e.job_id IS NOT NULL", instance) == [(f"Job {rebooted_job} ended: success.",)]


def test_a_cluster_timing_out_and_one_answering_500_leave_pages_up_and_applications_waiting(stack):
    slow, broken, good = batch("slow", 3), batch("broken", 3), batch("beside", 4)
    stack.simulators["slow"].set_faults(mode="timeout", hold_s=5)
    stack.simulators["broken"].set_faults(mode="error500")
    try:
        assert submit(stack, "slow", slow) == [True] * 3
        assert submit(stack, "broken", broken) == [True] * 3
        # The review of an application for the good cluster works beside them; one for a failing cluster
        # says what could not be read.
        admin = log_in(stack, "admin")
        review_and_submit(stack, admin, "good", good)
        for slug in ("slow", "broken"):
            [pk] = stack.django(FILE_APPLICATIONS, cluster=slug, hostnames=[f"review-{slug}.example.org"], submit=False)
            review = admin.get(f"{stack.url}/application/{pk}/review/")
            assert review.status_code == 200 and "could not be read" in review.text, slug
        helpdesk = log_in(stack, "helpdesk")
        instance = sorted(row["name"] for row in stack.simulators["good"].request("GET", "/2/instances?bulk=1")[1])[0]
        pages = {"/": True, "/jobs/": True, "/cluster/nodes/": True, "/cluster/detail/?cluster=slow": "slow",
                 "/cluster/detail/?cluster=broken": "broken", f"/instances/good/{instance}/": False}
        for path, banner in pages.items():
            page = helpdesk.get(stack.url + path)
            assert page.status_code == 200, path
            named = [slug for slug in ("slow", "broken") if f"Simulated cluster {slug} did not answer" in page.text]
            expected = ["slow", "broken"] if banner is True else [banner] if banner else []
            assert named == expected, path
        assert statuses(stack, slow + broken) == {name: "submitted" for name in slow + broken}
    finally:
        stack.simulators["slow"].set_faults(mode=None)
        stack.simulators["broken"].set_faults(mode=None)
    assert_created_once(stack, "good", good)
    assert_created_once(stack, "slow", slow)
    assert_created_once(stack, "broken", broken)
