"""Redis away (the cache pointed at a port where nothing listens): the pages read the clusters directly
and say why they may be slow, actions still run and are audited, the session still holds."""

import pytest
from django.urls import reverse

from auditlog.models import AuditEntry
from tests.ganeti.instance_setup import names
from tests.helpers import free_port

pytestmark = [pytest.mark.django_db, pytest.mark.integration, pytest.mark.usefixtures("empty_inventory")]

BANNER = "The cache service is not answering"


@pytest.fixture
def redis_away(settings):
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}}


def test_pages_answer_from_the_clusters_with_a_banner_while_redis_is_away(client, sim, cluster, roles, redis_away):
    client.force_login(roles["superuser"])
    listed = client.get(reverse("ganeti:instances_json")).json()
    assert [row["name"] for row in listed["rows"]] == names(sim) and listed["errors"] == []
    home = client.get(reverse("ganeti:home"))
    assert home.status_code == 200 and BANNER in home.content.decode()
    for page in (reverse("ganeti:jobs"), reverse("ganeti:nodes"), reverse("ganeti:cluster_detail") + "?cluster=c1",
                 reverse("ganeti:instance_detail", args=["c1", names(sim)[0]]), reverse("apply:apply")):
        answer = client.get(page)
        assert answer.status_code == 200, page
        assert BANNER in answer.content.decode() and "did not answer" not in answer.content.decode(), page


def test_a_reboot_while_redis_is_away_is_submitted_and_audited(client, sim, cluster, roles, redis_away):
    name = names(sim)[0]  # alice's
    client.force_login(roles["owner"])
    answer = client.post(reverse("ganeti:instance_reboot", args=["c1", name]), follow=True)
    assert answer.status_code == 200
    entry = AuditEntry.objects.get()
    assert (entry.requester, entry.action, entry.instance_name) == (roles["owner"], "reboot", name)
    assert f"job {entry.job_id} submitted" in answer.content.decode()
    assert sim.wait_job(entry.job_id)["status"] == "success"


def test_the_banner_goes_once_redis_answers_again(client, sim, cluster, roles, settings):
    client.force_login(roles["owner"])
    real = settings.CACHES
    settings.CACHES = {"default": {**real["default"], "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}}
    assert BANNER in client.get(reverse("ganeti:home")).content.decode()
    settings.CACHES = real
    page = client.get(reverse("ganeti:home"))
    assert page.status_code == 200 and BANNER not in page.content.decode()
