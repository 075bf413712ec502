"""Applying, listing, reviewing (accept, submit, reject, re-submit), fast creation, the SSH keys URL and the
sidebar badge, against PostgreSQL, Redis, beanstalkd, the SMTP sink and the RAPI simulator."""

import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.models import SshKey, UserProfile
from apply import images
from apply.models import ApplicationStatus, InstanceApplication, Organization
from apply.selectors import cluster_info
from ganeti.models import Network
from ganeti.rapi import inventory
from tests.ganeti.infrastructure_setup import make_helpdesk
from tests.mail import ADMIN_ADDRESS
from tests.simulator import start_simulator

pytestmark = pytest.mark.django_db

OS = {"none": {"description": "No OS", "provider": "noop", "osparams": {}},
      "debian": {"description": "Debian (debootstrap)", "provider": "debootstrap+default", "osparams": {}}}


@pytest.fixture(autouse=True)
def catalogue(settings):
    settings.IMAGES_URL = settings.OPERATING_SYSTEMS_URLS = settings.SNF_OPERATING_SYSTEMS_URLS = []
    settings.OPERATING_SYSTEMS = OS
    settings.SITE_URL = "https://ganetimgr.test"
    settings.SHOW_ORGANIZATION_FORM = settings.SHOW_ADMINISTRATIVE_FORM = True
    images.invalidate()


@pytest.fixture(scope="module")
def apply_sim(tmp_path_factory):
    """One simulator for the module: applying and reviewing read the cluster, they never change it."""
    with start_simulator(tmp_path_factory.mktemp("apply-sim"), instances=3, networks=2, groups=2, seed=3) as sim:
        yield sim


def _alpha(cluster_on, sim):
    made = cluster_on(sim, "alpha")
    made.sim = sim
    return made


@pytest.fixture
def cluster(apply_sim, cluster_on, empty_inventory):
    yield _alpha(cluster_on, apply_sim)
    apply_sim.set_faults(mode=None, latency_ms=0, paths=None)  # a test that broke the cluster leaves it well


@pytest.fixture
def own_cluster(simulators, cluster_on, empty_inventory):
    """A cluster on a simulator of the test's own, for tests that stop it."""
    return _alpha(cluster_on, simulators(instances=3, networks=2, groups=2, seed=3))


@pytest.fixture
def org(db):
    return Organization.objects.create(title="Example University", tag="example-uni")


@pytest.fixture
def reviewer(django_user_model):
    reviewer = django_user_model.objects.create_user("rita", "rita@example.org", "rita-secret-pw")
    reviewer.user_permissions.add(Permission.objects.get(codename="change_instanceapplication"))
    return django_user_model.objects.get(pk=reviewer.pk)


def form_data(**overrides):
    data = {"hostname": "web1.example.org", "memory": 1024, "vcpus": 2, "disk_size": 10, "operating_system": "debian",
            "comments": "A web server for the lab", "admin_contact_name": "Alice Admin",
            "admin_contact_email": "alice@example.org", "admin_contact_phone": "+30 210 0000000", "accept_terms": "on"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def apply_as(client, user, data, capture):
    client.force_login(user)
    with capture(execute=True):
        return client.post(reverse("apply:apply"), data)


def make_application(user, **fields):
    values = {"hostname": "vm1.example.org", "memory": 1024, "vcpus": 1, "disk_size": 5, "operating_system": "debian",
              "comments": "test", "applicant": user}
    values.update(fields)
    return InstanceApplication.objects.create(**values)


# -- applying ----------------------------------------------------------------------------------------

def test_apply_files_a_pending_application_and_mails_the_managers(client, user, cluster, smtp_sink,
                                                                  django_capture_on_commit_callbacks):
    response = apply_as(client, user, form_data(), django_capture_on_commit_callbacks)
    application = InstanceApplication.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("apply:application_detail",
                                                                           args=[application.pk])
    assert application.status == ApplicationStatus.PENDING and application.applicant == user
    assert application.language == "en"
    mail = smtp_sink.wait_for(ADMIN_ADDRESS, "web1.example.org")
    assert f"https://ganetimgr.test/application/{application.pk}/review/" in mail["body"]
    assert "Debian (debootstrap)" in mail["body"] and "A web server for the lab" in mail["body"]
    page = client.get(response["Location"])
    assert f"filed with id #{application.pk}" in page.content.decode()


def test_the_form_is_prefilled_from_the_profile_and_fills_its_empty_fields(client, user, org, cluster,
                                                                           django_capture_on_commit_callbacks):
    user.last_name = "Liddell"
    user.save()
    UserProfile.objects.update_or_create(user=user, defaults={"organization": "Example University"})
    client.force_login(user)
    form = client.get(reverse("apply:apply")).context["form"]
    assert form.initial["admin_contact_name"] == "Alice Liddell"
    assert form.initial["admin_contact_email"] == "alice@example.org"
    assert form.initial["organization"] == org.pk
    apply_as(client, user, form_data(organization=org.pk), django_capture_on_commit_callbacks)
    assert UserProfile.objects.get(user=user).telephone == "+30 210 0000000"


@pytest.mark.parametrize("hostname, error", [
    ("web1", "fully qualified"),
    ("-bad.example.org", "valid host name"),
    ("we b.example.org", "valid host name"),
    ("a..example.org", "valid host name"),
    ("10.0.0.1", "not an IP address"),
    ("x" * 64 + ".example.org", "valid host name"),
])
def test_bad_host_names_are_form_errors(client, user, cluster, hostname, error, django_capture_on_commit_callbacks):
    response = apply_as(client, user, form_data(hostname=hostname), django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert error in " ".join(response.context["form"].errors["hostname"])
    assert not InstanceApplication.objects.exists()


def test_host_name_is_lowercased_and_its_trailing_dot_dropped(client, user, cluster, django_capture_on_commit_callbacks):
    apply_as(client, user, form_data(hostname="Web1.Example.ORG."), django_capture_on_commit_callbacks)
    assert InstanceApplication.objects.get().hostname == "web1.example.org"


def test_host_name_of_a_live_instance_or_an_open_application_is_taken(client, user, cluster,
                                                                      django_capture_on_commit_callbacks):
    live = cluster.sim.state()["cluster"]["instances"][0]["name"]
    response = apply_as(client, user, form_data(hostname=live.upper()), django_capture_on_commit_callbacks)
    assert "exists already" in " ".join(response.context["form"].errors["hostname"])
    make_application(user, hostname="open.example.org")
    response = apply_as(client, user, form_data(hostname="open.example.org"), django_capture_on_commit_callbacks)
    assert "already open" in " ".join(response.context["form"].errors["hostname"])
    # A refused application's name is free again.
    InstanceApplication.objects.update(status=ApplicationStatus.REFUSED)
    response = apply_as(client, user, form_data(hostname="open.example.org"), django_capture_on_commit_callbacks)
    assert response.status_code == 302


def test_sizes_outside_the_clusters_policy_and_unknown_os_are_refused(client, user, cluster,
                                                                      django_capture_on_commit_callbacks):
    # The simulator's ipolicy: memory 32-65536 MiB, 1-32 vCPUs, disk 4 MiB - 1 TiB.
    response = apply_as(client, user, form_data(memory=70000, vcpus=33, disk_size=2000, operating_system="windows"),
                        django_capture_on_commit_callbacks)
    errors = response.context["form"].errors
    assert set(errors) == {"memory", "vcpus", "disk_size", "operating_system"}
    assert "65536" in errors["memory"][0]


def test_without_any_cluster_answering_the_default_bounds_apply(client, user, settings,
                                                                django_capture_on_commit_callbacks):
    settings.APPLICATION_DEFAULT_LIMITS = {"memory": (512, 4096), "vcpus": (1, 4), "disk_size": (2, 50)}
    response = apply_as(client, user, form_data(memory=8192), django_capture_on_commit_callbacks)
    assert "4096" in response.context["form"].errors["memory"][0]


def test_organization_or_contact_is_required(client, user, org, cluster, settings, django_capture_on_commit_callbacks):
    response = apply_as(client, user, form_data(admin_contact_phone=""), django_capture_on_commit_callbacks)
    assert "organization or give the administrative contact" in str(response.context["form"].non_field_errors())
    settings.SHOW_ADMINISTRATIVE_FORM = False
    response = apply_as(client, user, form_data(), django_capture_on_commit_callbacks)
    assert "Choose an organization" in str(response.context["form"].errors["organization"])
    assert apply_as(client, user, form_data(organization=org.pk), django_capture_on_commit_callbacks).status_code == 302


def test_network_field_only_for_users_whose_groups_have_one(client, user, cluster, django_capture_on_commit_callbacks):
    client.force_login(user)
    assert "network" not in client.get(reverse("apply:apply")).context["form"].fields
    group = Group.objects.create(name="lab")
    user.groups.add(group)
    network = Network.objects.create(description="Lab LAN", cluster=cluster, link="br-lab")
    network.groups.add(group)
    assert list(client.get(reverse("apply:apply")).context["form"].fields["network"].queryset) == [network]
    apply_as(client, user, form_data(network=network.pk), django_capture_on_commit_callbacks)
    assert InstanceApplication.objects.get().network == network


def test_a_failing_mail_server_does_not_lose_the_application(client, user, cluster, dead_mail_server,
                                                             django_capture_on_commit_callbacks):
    response = apply_as(client, user, form_data(), django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert InstanceApplication.objects.filter(status=ApplicationStatus.PENDING).count() == 1


# -- who sees what -----------------------------------------------------------------------------------

def test_applicants_see_their_own_applications_only(client, user, django_user_model):
    other = django_user_model.objects.create_user("bob", "bob@example.org", "bob-secret-pw")
    mine, theirs = make_application(user, hostname="mine.example.org"), make_application(other, hostname="b.example.org")
    client.force_login(user)
    assert client.get(reverse("apply:application_detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("apply:application_detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("apply:application_detail", args=[99999])).status_code == 404
    listing = client.get(reverse("apply:my_applications")).content.decode()
    assert "mine.example.org" in listing and "b.example.org" not in listing
    assert client.get(reverse("apply:application_list")).status_code == 403
    assert client.get(reverse("apply:application_review", args=[mine.pk])).status_code == 403
    assert client.post(reverse("apply:application_review", args=[mine.pk]),
                       {"action": "refuse", "refusal_reason": "no"}).status_code == 403
    assert InstanceApplication.objects.get(pk=mine.pk).status == ApplicationStatus.PENDING


def test_view_applications_lists_read_only(client, user, django_user_model):
    helpdesk = django_user_model.objects.create_user("helen", "helen@example.org", "helen-secret-pw")
    helpdesk.user_permissions.add(Permission.objects.get(codename="view_applications"))
    application = make_application(user)
    client.force_login(helpdesk)
    page = client.get(reverse("apply:application_list"))
    assert page.status_code == 200 and "vm1.example.org" in page.content.decode()
    assert reverse("apply:application_review", args=[application.pk]) not in page.content.decode()
    assert client.get(reverse("apply:application_detail", args=[application.pk])).status_code == 200
    assert client.get(reverse("apply:application_review", args=[application.pk])).status_code == 403


def test_list_filters_search_and_pages(client, user, reviewer):
    for i in range(30):
        make_application(user, hostname=f"host{i:02d}.example.org")
    make_application(user, hostname="done.example.org", status=ApplicationStatus.SUCCESS)
    client.force_login(reviewer)
    first = client.get(reverse("apply:application_list"))
    assert first.context["page"].paginator.count == 30 and len(first.context["page"].object_list) == 25
    assert "done.example.org" not in first.content.decode()
    assert client.get(reverse("apply:application_list"), {"show": "open", "page": 2}).context["page"].number == 2
    completed = client.get(reverse("apply:application_list"), {"show": "completed"}).content.decode()
    assert "done.example.org" in completed and "host01" not in completed
    found = client.get(reverse("apply:application_list"), {"show": "all", "q": "host07"}).context["page"]
    assert [a.hostname for a in found.object_list] == ["host07.example.org"]


def test_sidebar_shows_apply_to_everyone_and_the_pending_count_to_reviewers(client, user, reviewer):
    make_application(user, hostname="a.example.org")
    make_application(user, hostname="b.example.org")
    make_application(user, hostname="c.example.org", status=ApplicationStatus.FAILED)
    client.force_login(user)
    menu = client.get(reverse("apply:my_applications")).context["sidebar_menu"]
    assert [e["label"] for e in menu if e["url"].startswith("/application/")] == ["Apply"]
    client.force_login(reviewer)
    menu = client.get(reverse("apply:my_applications")).context["sidebar_menu"]
    entry = next(e for e in menu if e["url"] == reverse("apply:application_list"))
    assert entry["badge"] == 2  # pending only, counted at each request
    InstanceApplication.objects.filter(hostname="a.example.org").update(status=ApplicationStatus.REFUSED)
    menu = client.get(reverse("apply:my_applications")).context["sidebar_menu"]
    assert next(e for e in menu if e["url"] == reverse("apply:application_list"))["badge"] == 1


# -- review --------------------------------------------------------------------------------------------

def review_data(cluster, **overrides):
    data = {"hostname": "vm1.example.org", "memory": 2048, "vcpus": 2, "disk_size": 8, "operating_system": "debian",
            "cluster": cluster.pk, "disk_template": "plain", "node_group": "", "network_choice": "",
            "volume_group": "", "admin_comments": "Enjoy", "action": "accept"}
    data.update(overrides)
    return data


def test_review_page_offers_the_clusters_placement(client, user, reviewer, cluster):
    closed = type(cluster).objects.create(hostname="127.0.0.1", port=1, slug="closed", disable_instance_creation=True)
    Network.objects.create(description="Public", cluster=cluster, link="br0", cluster_default=True)
    application = make_application(user)
    client.force_login(reviewer)
    form = client.get(reverse("apply:application_review", args=[application.pk])).context["form"]
    assert list(form.fields["cluster"].queryset) == [cluster] and closed not in form.fields["cluster"].queryset
    assert "plain" in dict(form.fields["disk_template"].choices)
    assert {"default", "group2"} <= set(dict(form.fields["node_group"].choices))
    networks = dict(form.fields["network_choice"].choices)
    assert "net:net1" in networks and "free addresses" in str(networks["net:net1"])
    assert "link:br0::bridged" in networks
    assert form.fields["network_choice"].initial == "link:br0::bridged"  # the cluster default


def test_accept_saves_the_edits_and_the_placement(client, user, reviewer, cluster):
    application = make_application(user)
    client.force_login(reviewer)
    response = client.post(reverse("apply:application_review", args=[application.pk]),
                           review_data(cluster, network_choice="net:net2", node_group="group2", volume_group="xenvg"))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED and application.reviewer == reviewer
    assert (application.memory, application.cluster, application.network_name, application.node_group,
            application.disk_template, application.volume_group) == (2048, cluster, "net2", "group2", "plain", "xenvg")


def test_accept_and_submit_puts_a_create_message_on_beanstalkd(client, user, reviewer, cluster, queue,
                                                               django_capture_on_commit_callbacks):
    application = make_application(user)
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("apply:application_review", args=[application.pk]),
                               review_data(cluster, action="submit"))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    job = queue.reserve(timeout=5)
    assert json.loads(job.body) == {"type": "CREATE", "application": application.pk}
    queue.delete(job)


def test_review_refuses_a_placement_the_cluster_does_not_offer(client, user, reviewer, cluster):
    application = make_application(user)
    client.force_login(reviewer)
    response = client.post(reverse("apply:application_review", args=[application.pk]),
                           review_data(cluster, disk_template="floppy", memory=100000))
    assert response.status_code == 200
    assert {"disk_template", "memory"} <= set(response.context["form"].errors)
    assert InstanceApplication.objects.get(pk=application.pk).status == ApplicationStatus.PENDING


def test_a_cluster_that_does_not_answer_degrades_the_review_page(client, user, reviewer, cluster):
    application = make_application(user)
    cluster.sim.set_faults(mode="error502")
    inventory.invalidate(cluster)
    client.force_login(reviewer)
    response = client.get(reverse("apply:application_review", args=[application.pk]))
    assert response.status_code == 200
    assert "could not be read" in response.content.decode()
    response = client.post(reverse("apply:application_review", args=[application.pk]), review_data(cluster))
    assert response.status_code == 200 and "disk_template" in response.context["form"].errors


def test_placement_fragment_for_another_cluster(client, reviewer, user, cluster):
    client.force_login(reviewer)
    response = client.get(reverse("apply:placement_options"), {"cluster": cluster.pk})
    assert response.status_code == 200 and 'name="disk_template"' in response.content.decode()
    client.force_login(user)
    assert client.get(reverse("apply:placement_options"), {"cluster": cluster.pk}).status_code == 403


def test_odd_parameters_are_answered_not_server_errors(client, user, reviewer, cluster):
    """A NUL in the search (PostgreSQL text refuses it) and digits that are not ASCII ("²".isdigit() is True)."""
    application = make_application(user)
    client.force_login(reviewer)
    page = client.get(reverse("apply:application_list"), {"show": "all", "q": "vm1\x00"})
    assert page.status_code == 200 and [a.hostname for a in page.context["page"].object_list] == ["vm1.example.org"]
    fragment = client.get(reverse("apply:placement_options"), {"cluster": "²", "application": "²"})
    assert fragment.status_code == 200  # the only cluster open for creation is offered
    response = client.post(reverse("apply:application_review", args=[application.pk]),
                           {**review_data(cluster), "cluster": "²"})
    assert response.status_code == 200 and "cluster" in response.context["form"].errors
    assert InstanceApplication.objects.get(pk=application.pk).status == ApplicationStatus.PENDING


def test_reject_needs_a_reason_and_mails_it_in_the_applicants_language(client, user, reviewer, cluster, smtp_sink):
    application = make_application(user, language="el")
    client.force_login(reviewer)
    url = reverse("apply:application_review", args=[application.pk])
    response = client.post(url, {"action": "refuse", "refusal_reason": "  "})
    assert response.status_code == 200 and response.context["refuse_form"].errors
    assert InstanceApplication.objects.get(pk=application.pk).status == ApplicationStatus.PENDING
    response = client.post(url, {"action": "refuse", "refusal_reason": "No lab budget left this year."})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REFUSED
    mail = smtp_sink.wait_for("alice@example.org", "vm1.example.org")
    assert "No lab budget left this year." in mail["body"]
    assert "απορρίφθηκε" in mail["subject"]  # Greek, the language she applied in
    # A refused application cannot be reviewed again: a valid review form changes nothing.
    response = client.post(url, review_data(cluster, memory=2048), follow=True)
    assert "cannot be reviewed any more" in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REFUSED and application.memory == 1024
    assert application.cluster is None


def test_failed_application_shows_ganetis_words_and_can_be_resubmitted(client, user, reviewer, cluster, tube,
                                                                       django_capture_on_commit_callbacks):
    application = make_application(user, status=ApplicationStatus.FAILED, cluster=cluster, disk_template="plain",
                                   job_id=4242, backend_message="Not enough memory on node1 (need 2048)")
    client.force_login(reviewer)
    page = client.get(reverse("apply:application_review", args=[application.pk])).content.decode()
    assert "4242" in page and "Not enough memory on node1" in page and "Re-submit" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("apply:application_review", args=[application.pk]),
                    review_data(cluster, memory=512, action="submit"))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED and application.memory == 512
    assert application.backend_message == "" and application.job_id is None


def test_superuser_fast_creation_creates_and_submits(client, superuser, user, cluster, tube,
                                                     django_capture_on_commit_callbacks):
    client.force_login(user)
    assert client.get(reverse("apply:application_save")).status_code == 403
    client.force_login(superuser)
    assert client.get(reverse("apply:application_save")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("apply:application_save"), review_data(cluster, hostname="fast.example.org",
                                                                              action="submit"))
    assert response.status_code == 302
    application = InstanceApplication.objects.get(hostname="fast.example.org")
    assert application.applicant == superuser and application.status == ApplicationStatus.SUBMITTED


# -- SSH keys URL ----------------------------------------------------------------------------------------

def test_ssh_keys_url_serves_the_applicants_keys_without_login(client, user):
    SshKey.objects.create(user=user, key_type="ssh-ed25519", public_key="AAAAC3NzaKEY1", comment="alice@laptop",
                          fingerprint="SHA256:one")
    application = make_application(user)
    url = reverse("apply:instance_ssh_keys", args=[application.pk, application.ssh_keys_cookie])
    assert url == f"/application/{application.pk}/{application.ssh_keys_cookie}/ssh_keys"
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == "ssh-ed25519 AAAAC3NzaKEY1 alice@laptop\n"
    cookie = application.ssh_keys_cookie
    wrong = reverse("apply:instance_ssh_keys", args=[application.pk, cookie[:-1] + ("x" if cookie[-1] != "x" else "y")])
    assert client.get(wrong).status_code == 404
    assert client.get(reverse("apply:instance_ssh_keys", args=[999999, application.ssh_keys_cookie])).status_code == 404


def test_the_form_reads_the_cluster_info_the_cluster_info_page_read(client, user, django_user_model, own_cluster,
                                                                      settings):
    """One cache of /2/info: what the cluster info page read is what the application form's bounds come
    from, even once the cluster stops answering (a second cache of its own would ask the dead cluster)."""
    settings.APPLICATION_DEFAULT_LIMITS = {"memory": (512, 4096), "vcpus": (1, 4), "disk_size": (2, 50)}
    client.force_login(make_helpdesk(django_user_model))
    page = client.get(reverse("ganeti:cluster_detail"), {"cluster": own_cluster.slug})
    policy_max = max(spec["max"]["memory-size"] for spec in page.context["detail"].info["ipolicy"]["minmax"])
    assert policy_max != 4096
    own_cluster.sim.stop()
    client.force_login(user)
    response = client.get(reverse("apply:apply"))
    assert response.context["form"].fields["memory"].max_value == policy_max


def test_a_cluster_that_is_down_leaves_the_form_working_on_the_default_bounds(client, user, own_cluster, settings):
    settings.APPLICATION_DEFAULT_LIMITS = {"memory": (512, 4096), "vcpus": (1, 4), "disk_size": (2, 50)}
    own_cluster.sim.stop()
    client.force_login(user)
    response = client.get(reverse("apply:apply"))
    assert response.status_code == 200
    assert response.context["form"].fields["memory"].max_value == 4096
    # The failure is remembered (in the inventory's "info" snapshot, which the cluster info page reads
    # too) for the retry delay: the next form does not wait for the cluster again.
    assert [error.cluster.slug for error in inventory.rows("info", [own_cluster]).errors] == [own_cluster.slug]
    assert cluster_info(own_cluster) is None
