"""The jobs page (/jobs/), its JSON and the job details (/cluster/jobdetails/) over 8 simulated clusters
whose queues hold finished jobs of the last hours (ganetisim --jobs)."""

from contextlib import ExitStack

import pytest

from tests.ganeti.infrastructure_setup import logged_in_helpdesk, register_clusters, start_simulators

pytestmark = [pytest.mark.django_db, pytest.mark.integration, pytest.mark.usefixtures("empty_inventory")]

CLUSTERS, JOBS = 8, 30


@pytest.fixture(scope="module")
def sims(tmp_path_factory):
    with ExitStack() as stack:
        yield start_simulators(stack, tmp_path_factory.mktemp("sims"), CLUSTERS, nodes=2, instances=4, jobs=JOBS)


@pytest.fixture
def clusters(sims):
    return register_clusters(sims)


@pytest.fixture
def helpdesk(client, django_user_model):
    return logged_in_helpdesk(client, django_user_model)


def all_jobs(sims):
    return {(f"c{index}", job["id"]): job for index, sim in enumerate(sims)
            for job in sim.request("GET", "/2/jobs?bulk=1")[1]}


def a_failed_job(sims):
    """(cluster slug, job id, Ganeti's message) of a job that failed with OpPrereqError."""
    for (slug, job_id), job in sorted(all_jobs(sims).items()):
        if job["status"] == "error":
            full = sims[int(slug[1:])].request("GET", f"/2/jobs/{job_id}")[1]
            if full["opresult"][0][0] == "OpPrereqError":
                return slug, job_id, full["opresult"][0][1]
    raise AssertionError("no failed job seeded")


def test_access(client, clusters, user, superuser):
    for url in ("/jobs/", "/jobs/json/", "/cluster/jobdetails/?cluster=c1&jobid=1"):
        assert client.get(url)["Location"].startswith("/user/login/")
    client.force_login(user)
    assert client.get("/jobs/").status_code == 403
    assert client.get("/cluster/jobdetails/?cluster=c1&jobid=1").status_code == 403
    response = client.get("/jobs/json/")
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    client.force_login(superuser)
    assert client.get("/jobs/").status_code == 200 and client.post("/jobs/").status_code == 405


def test_every_queue_newest_first_with_counters(client, clusters, sims, helpdesk):
    expected = all_jobs(sims)
    data = client.get("/jobs/json/").json()
    assert data["total"] == len(expected) == data["filtered"] >= CLUSTERS * JOBS and data["pages"] == 5 and data["errors"] == []
    statuses = [job["status"] for job in expected.values()]
    assert data["counts"] == {"running": 0, "success": statuses.count("success"), "error": statuses.count("error"),
                              "waiting": 0, "queued": 0, "canceled": statuses.count("canceled")}
    assert data["counts"]["error"] > 0
    rows = data["rows"]
    for page in range(2, 6):
        rows += client.get(f"/jobs/json/?page={page}").json()["rows"]
    assert len(rows) == len(expected) and {(row["cluster"], row["id"]) for row in rows} == set(expected)
    received = [row["received"] for row in rows]
    assert received == sorted(received, reverse=True)  # newest first, across clusters
    first = rows[0]
    assert first["summary"] == expected[(first["cluster"], first["id"])]["summary"]
    assert first["detail_url"] == f"/cluster/jobdetails/?cluster={first['cluster']}&jobid={first['id']}"


def test_filters_by_status_and_cluster(client, clusters, sims, helpdesk):
    expected = all_jobs(sims)
    errors = client.get("/jobs/json/?status=error").json()
    assert errors["filtered"] == sum(job["status"] == "error" for job in expected.values())
    assert {row["status"] for row in errors["rows"]} == {"error"}
    one = client.get("/jobs/json/?cluster=c3&status=success").json()
    assert {row["cluster"] for row in one["rows"]} == {"c3"}
    assert one["total"] == sum(slug == "c3" for slug, _id in expected)
    assert one["filtered"] == sum(job["status"] == "success" for key, job in expected.items() if key[0] == "c3")
    body = client.get("/jobs/?status=error").content.decode()
    assert body.count('data-status="error"') == min(errors["filtered"], 50) and 'data-status="success"' not in body


def test_a_new_job_appears_after_the_snapshot_ages(client, clusters, sims, helpdesk, settings):
    before = client.get("/jobs/json/?cluster=c0").json()["total"]
    sims[0].run_job("POST", "/2/instances/inst0001.sim0.test/reboot")
    assert client.get("/jobs/json/?cluster=c0").json()["total"] == before  # the snapshot is fresh
    settings.INVENTORY_STALE_SECONDS = 0
    data = client.get("/jobs/json/?cluster=c0").json()
    assert data["total"] == before + 1 and data["rows"][0]["summary"] == ["INSTANCE_REBOOT(inst0001.sim0.test)"]


def test_a_failed_jobs_details_say_why_in_words(client, clusters, sims, helpdesk):
    slug, job_id, (message, code) = a_failed_job(sims)
    url = f"/cluster/jobdetails/?cluster={slug}&jobid={job_id}"
    fragment = client.get(url, HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert fragment.status_code == 200 and "<html" not in body
    assert 'id="job-failure"' in body and "A prerequisite is not met" in body
    assert message.replace("'", "&#x27;") in body and f"({code})" in body
    assert "&quot;OP_ID&quot;: &quot;OP_" in body  # the submitted opcode, as pretty JSON
    page = client.get(url).content.decode()
    assert page.count("<html") == 1 and "A prerequisite is not met" in page


def test_a_successful_job_shows_its_log(client, clusters, sims, helpdesk):
    for (slug, job_id), job in sorted(all_jobs(sims).items()):
        full = sims[int(slug[1:])].request("GET", f"/2/jobs/{job_id}")[1]
        if job["status"] == "success" and full["oplog"][0]:
            break
    body = client.get(f"/cluster/jobdetails/?cluster={slug}&jobid={job_id}", HTTP_HX_REQUEST="true").content.decode()
    assert full["oplog"][0][0][3] in body and 'data-job-status="success"' in body


@pytest.mark.parametrize("query", ["cluster=c1&jobid=99999", "cluster=nope&jobid=1", "cluster=c1&jobid=abc",
                                   "cluster=c1", "jobid=1"])
def test_unknown_jobs_and_clusters_are_a_clear_404(client, clusters, helpdesk, query):
    response = client.get(f"/cluster/jobdetails/?{query}", HTTP_HX_REQUEST="true")
    assert response.status_code == 404
    assert "has no job" in response.content.decode()


def test_a_dead_cluster_is_named_and_the_others_shown(client, clusters, sims, helpdesk):
    others = sum(slug != "c5" for slug, _id in all_jobs(sims))
    sims[5].set_faults(mode="error500")
    try:
        data = client.get("/jobs/json/").json()
        assert data["total"] == others and [error["cluster"] for error in data["errors"]] == ["c5"]
        assert "Cluster Cluster c5 did not answer" in client.get("/jobs/").content.decode()
        detail = client.get("/cluster/jobdetails/?cluster=c5&jobid=1", HTTP_HX_REQUEST="true")
        assert detail.status_code == 502 and "Cluster c5 did not answer" in detail.content.decode()
    finally:
        sims[5].set_faults(mode=None)


def test_the_table_refreshes_itself(client, clusters, helpdesk, settings):
    settings.JOBS_PAGE_REFRESH_SECONDS = 45
    page = client.get("/jobs/?status=error&cluster=c2").content.decode()
    assert 'hx-get="/jobs/?status=error&amp;cluster=c2" hx-trigger="every 45s"' in page
    fragment = client.get("/jobs/?status=error&cluster=c2", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="job-list")
    body = fragment.content.decode()
    assert "<html" not in body and body.startswith("\n<div id=\"job-list\"")


def test_jobs_in_greek(client, clusters, helpdesk):
    body = client.get("/jobs/", HTTP_ACCEPT_LANGUAGE="el").content.decode()
    assert "Εργασίες" in body and "επιτυχία" in body


def test_remembered_rows_follow_the_language_and_the_snapshot(client, clusters, sims, helpdesk, settings):
    """The page's rows are remembered per snapshot, job and language: never another language's row,
    never a row of an older snapshot."""
    english = client.get("/jobs/?cluster=c0").content.decode()
    assert 'text-bg-success">success<' in english
    greek = client.get("/jobs/?cluster=c0", HTTP_ACCEPT_LANGUAGE="el").content.decode()
    assert 'text-bg-success">επιτυχία<' in greek and 'text-bg-success">success<' not in greek
    job_id = sims[0].run_job("POST", "/2/instances/inst0002.sim0.test/reboot")["id"]
    settings.INVENTORY_STALE_SECONDS = 0
    again = client.get("/jobs/?cluster=c0").content.decode()
    assert f'data-job="c0-{job_id}"' in again and again.count("<tr data-job=") == english.count("<tr data-job=") + 1
