"""The failures the app must handle, as each backend produces them: HTTP errors at submit time,
failed jobs for business errors, and Ganeti 3.0's quirks (unknown job, console)."""

import pytest

from ganeti.rapi.client import GanetiApiError
from tests.contract.backends import create_instance, run_job, set_running, succeeded

UNKNOWN_INSTANCE = "no-such-instance.ganeti.test"
UNKNOWN_JOB_ID = 987654321


def http_error(call, *args, **kwargs) -> GanetiApiError:
    with pytest.raises(GanetiApiError) as error:
        call(*args, **kwargs)
    assert error.value.kind == "http"
    return error.value


# -- business errors: a job that fails, never an HTTP error ------------------------------------------


def test_rename_while_running_fails_as_a_wrong_state_job(rapi, instance):
    set_running(rapi, instance, True)
    job = run_job(rapi, rapi.client.rename_instance(instance, instance.replace("ct-", "never-", 1)))
    assert job["status"] == "error" and job["opstatus"] == ["error"]
    assert job["error_code"] == "wrong_state"
    assert job["error_message"] == f"Instance '{instance}' is marked to be up, cannot rename"
    assert job["opresult"] == [["OpPrereqError", [job["error_message"], "wrong_state"]]]
    assert rapi.client.get_instance(instance)["name"] == instance


def test_startup_of_a_running_instance_succeeds_and_changes_nothing(rapi, instance):
    """Not an error in Ganeti 3.0: the app must not expect one (a double click is harmless)."""
    set_running(rapi, instance, True)
    succeeded(rapi, rapi.client.startup_instance(instance))
    assert rapi.client.get_instance(instance)["status"] == "running"


def test_shutdown_of_a_stopped_instance_succeeds(rapi, instance):
    set_running(rapi, instance, False)
    succeeded(rapi, rapi.client.shutdown_instance(instance))
    assert rapi.client.get_instance(instance)["status"] == "ADMIN_down"


def test_reboot_of_a_stopped_instance_starts_it(rapi, new_instance_name):
    """Ganeti's reboot starts an instance that was stopped (and marks it up)."""
    name = new_instance_name()
    create_instance(rapi, name, disk_template="diskless", start=False)
    succeeded(rapi, rapi.client.reboot_instance(name))
    rebooted = rapi.client.get_instance(name)
    assert (rebooted["status"], rebooted["admin_state"], rebooted["oper_state"]) == ("running", "up", True)


@pytest.mark.parametrize("action", ["startup_instance", "shutdown_instance", "delete_instance", "reboot_instance"])
def test_action_on_an_unknown_instance_fails_as_an_unknown_entity_job(rapi, action):
    job = run_job(rapi, getattr(rapi.client, action)(UNKNOWN_INSTANCE))
    assert job["status"] == "error" and job["error_code"] == "unknown_entity"
    assert job["error_message"] == f"Instance '{UNKNOWN_INSTANCE}' not known"


def test_creating_an_existing_instance_fails_as_an_already_exists_job(rapi, instance):
    job = run_job(rapi, rapi.client.create_instance(
        instance, disk_template="diskless", disks=[], nics=[{}], os=rapi.client.get_instance(instance)["os"],
        pnode=rapi.client.get_info()["master"], start=False))
    assert job["status"] == "error" and job["error_code"] == "already_exists"
    assert job["error_message"] == f"Instance '{instance}' is already in the cluster"


def test_an_invalid_tag_fails_as_a_job_without_error_code(rapi, instance):
    job = run_job(rapi, rapi.client.add_instance_tags(instance, ["no spaces allowed"]))
    assert job["status"] == "error"
    assert job["opresult"] == [["TagError", ["Tag contains invalid characters"]]]
    assert (job["error_message"], job["error_code"]) == ("Tag contains invalid characters", None)


# -- HTTP errors -------------------------------------------------------------------------------------


def test_unknown_instance_node_and_group_are_404(rapi):
    for call, name in ((rapi.client.get_instance, UNKNOWN_INSTANCE), (rapi.client.get_node, "no-such-node"),
                       (rapi.client.get_group, "no-such-group")):
        error = http_error(call, name)
        assert (error.code, error.message, error.explain) == (404, "Not Found", "Nothing matches the given URI")


def test_tags_of_an_unknown_instance_are_a_500_with_an_unescaped_message(rapi):
    """Ganeti 3.0 answers 500 with the exception text, HTML-escaped; the client unescapes it."""
    error = http_error(rapi.client.get_instance_tags, "no-such-instance")
    assert error.code == 500
    assert error.message == "('Instance name no-such-instance not found', 'unknown_entity')"


def test_unknown_body_parameter_is_rejected_at_submit_with_400(rapi, instance):
    error = http_error(rapi.client.modify_instance, instance, no_such_parameter=1)
    assert error.code == 400
    assert error.message == ("Invalid body parameters: Object OpInstanceSetParams doesn't support the parameter "
                             "'no_such_parameter'")


def test_wrong_password_is_401_with_a_basic_challenge(rapi):
    error = http_error(rapi.client_as(rapi.username, "wrong-password").get_info)
    assert error.code == 401
    answer = rapi.raw("GET", "/2/info", auth=(rapi.username, "wrong-password"))
    assert answer.headers["WWW-Authenticate"] == 'Basic realm="Ganeti Remote API"'
    assert rapi.raw("GET", "/2/info", auth=("no-such-user", "x")).status_code == 401


def test_reads_need_credentials(rapi):
    """The testbed runs with --require-authentication, as Debian ships it; the simulator must too."""
    answer = rapi.raw("GET", "/2/instances", anonymous=True)
    assert answer.status_code == 401


def test_read_only_user_may_read_but_not_write(rapi, instance):
    readonly = rapi.client_as(rapi.readonly_username, rapi.readonly_password, acting_user="carol")
    assert readonly.get_instance(instance)["name"] == instance
    assert [row["name"] for row in readonly.query("instance", ["name"], ["==", "name", instance])] == [instance]
    for write in (lambda: readonly.startup_instance(instance), lambda: readonly.add_instance_tags(instance, ["x"]),
                  lambda: readonly.delete_instance(instance)):
        error = http_error(write)
        assert (error.code, error.message) == (403, "Forbidden")
    # the long poll on a job needs write too (it holds a server thread)
    job_id = succeeded(rapi, rapi.client.add_instance_tags(instance, ["contract-ro"]))["id"]
    assert http_error(readonly.wait_for_job_change, job_id, ["status"]).code == 403


def test_body_without_json_content_type_is_415(rapi, instance):
    answer = rapi.raw("PUT", f"/2/instances/{instance}/modify", data=b'{"beparams": {"vcpus": 1}}')
    assert answer.status_code == 415
    assert answer.json() == {"code": 415, "message": "Unsupported Media Type",
                             "explain": "Entity body in unsupported format"}


def test_trailing_slash_is_404(rapi, instance):
    assert rapi.raw("GET", "/2/info/").status_code == 404
    assert rapi.raw("GET", f"/2/instances/{instance}/").status_code == 404


def test_reinstall_refuses_query_arguments_next_to_a_body(rapi, instance):
    """Reinstall takes either the legacy query form or a body: a client sending both (reason= with a
    body) gets 400 from Ganeti, and nothing is reinstalled."""
    answer = rapi.raw("POST", f"/2/instances/{instance}/reinstall", params={"reason": "ganetimgr:alice"},
                      json={"start": True})
    assert answer.status_code == 400
    assert answer.json()["message"] == "Can&#x27;t combine query and body parameters"


def test_put_on_reboot_is_501_the_client_posts(rapi, instance):
    answer = rapi.raw("PUT", f"/2/instances/{instance}/reboot")
    assert answer.status_code == 501
    assert answer.json()["message"] == f"Method PUT is unsupported for path /2/instances/{instance}/reboot"


# -- jobs --------------------------------------------------------------------------------------------


def test_unknown_job_is_200_with_every_field_null_which_the_client_reports_as_error(rapi):
    """Ganeti 3.0 does not 404 an unknown job id (the docs say it should): polling must not hang."""
    answer = rapi.raw("GET", f"/2/jobs/{UNKNOWN_JOB_ID}")
    assert answer.status_code == 200
    raw = answer.json()
    assert raw["id"] == UNKNOWN_JOB_ID and raw["status"] is None
    assert all(raw[field] is None for field in ("ops", "summary", "opstatus", "opresult", "oplog", "received_ts"))
    job = rapi.client.get_job(UNKNOWN_JOB_ID)
    assert job["id"] == UNKNOWN_JOB_ID and job["status"] == "error" and job["error_message"]
    assert rapi.client.wait_for_job(UNKNOWN_JOB_ID, timeout=5)["status"] == "error"


def test_a_job_id_that_is_not_a_number_is_404(rapi):
    assert rapi.raw("GET", "/2/jobs/not-a-number").status_code == 404


def test_cancel_of_an_unknown_job_answers_false_and_a_message(rapi):
    assert rapi.client.cancel_job(UNKNOWN_JOB_ID) == (False, f"Job {UNKNOWN_JOB_ID} not found in queue")


def test_cancel_of_a_finished_job_answers_false(rapi, instance):
    job_id = succeeded(rapi, rapi.client.add_instance_tags(instance, ["contract-cancel"]))["id"]
    cancelled, message = rapi.client.cancel_job(job_id)
    assert cancelled is False and message


def test_wait_for_job_change_returns_the_fields_and_log_of_a_finished_job(rapi, instance):
    job_id = succeeded(rapi, rapi.client.add_instance_tags(instance, ["contract-wait"]))["id"]
    change = rapi.client.wait_for_job_change(job_id, ["status", "opstatus"])
    assert change["job_info"] == ["success", ["success"]]
    assert isinstance(change["log_entries"], list)


# -- console -----------------------------------------------------------------------------------------


def test_console_of_a_running_instance_is_a_dict_with_kind(rapi, instance):
    set_running(rapi, instance, True)
    console = rapi.client.get_console(instance)
    assert console["instance"] == instance
    assert console["kind"] in {"vnc", "spice", "ssh", "msg"}
    required = {"vnc": {"host", "port", "display"}, "spice": {"host", "port"},
                "ssh": {"host", "port", "user", "command"}, "msg": {"message"}}[console["kind"]]
    assert required <= set(console)


def test_console_of_a_stopped_instance_is_503(rapi, instance):
    set_running(rapi, instance, False)
    error = http_error(rapi.client.get_console, instance)
    assert (error.code, error.message) == (503, "Instance console unavailable")


def test_console_of_an_unknown_instance_is_500(rapi):
    """A Ganeti 3.0 bug ("list index out of range"); the app must show an error, not crash."""
    error = http_error(rapi.client.get_console, UNKNOWN_INSTANCE)
    assert error.code == 500
