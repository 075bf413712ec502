"""ganeti-rapi's transport quirks: authentication, status codes, error bodies, TLS, users file."""

import hashlib
import http.client
import socket
import ssl
import time

import pytest

pytestmark = pytest.mark.slow


def first_instance(sim):
    return sim.request("GET", "/2/instances")[1][0]["id"]


def test_default_mode_gets_need_no_credentials_but_writes_do(sim):
    assert sim.request("GET", "/2/info", user=None)[0] == 200
    name = first_instance(sim)
    status, headers, error = sim.request_full("PUT", f"/2/instances/{name}/startup", user=None)
    assert status == 401
    assert headers["WWW-Authenticate"] == 'Basic realm="Ganeti Remote API"'
    assert error == {"code": 401, "message": "Unauthorized", "explain": "No permission -- see authorization schemes"}
    assert sim.request("PUT", f"/2/instances/{name}/startup", user="reader")[0] == 403
    assert sim.request("PUT", f"/2/instances/{name}/startup", headers={"Authorization": "Basic d3JpdGVyOm5v"},
                       user=None)[0] == 401  # writer:no


def test_console_query_and_wait_need_credentials_even_for_get(sim):
    name = first_instance(sim)
    assert sim.request("GET", f"/2/instances/{name}/console", user=None)[0] == 401
    assert sim.request("GET", "/2/query/instance?fields=name", user=None)[0] == 401
    assert sim.request("GET", "/2/query/instance?fields=name", user="reader")[0] == 200
    job = sim.run_job("PUT", f"/2/instances/{name}/tags?tag=waited")
    body = {"fields": ["status"], "previous_job_info": None, "previous_log_serial": None}
    assert sim.request("GET", f"/2/jobs/{job['id']}/wait", body, user="reader")[0] == 403
    assert sim.request("GET", f"/2/jobs/{job['id']}/wait", body)[0] == 200


def test_require_authentication_protects_every_get(simulators):
    sim = simulators(require_authentication=True)
    assert sim.request("GET", "/version", user=None)[0] == 401
    assert sim.request("GET", "/2/info", user="reader")[0] == 200


def test_status_codes_of_paths_and_methods(sim):
    name = first_instance(sim)
    assert sim.request("GET", "/2/instances/")[0] == 404  # the anchored name regex: trailing slash
    status, error = sim.request("GET", "/2/nothing")
    assert status == 404 and error == {"code": 404, "message": "Not Found", "explain": "Nothing matches the given URI"}
    status, error = sim.request("PUT", f"/2/instances/{name}/reboot")
    assert status == 501 and error["message"] == f"Method PUT is unsupported for path /2/instances/{name}/reboot"
    assert sim.request("POST", "/2/info")[0] == 501
    assert sim.request("GET", "/2/instances/ghost.example.org") == (404, {
        "code": 404, "message": "Not Found", "explain": "Nothing matches the given URI"})
    assert sim.request("GET", "/2/jobs/not-a-number")[0] == 404
    # messages are HTML-escaped; 3.0.2 answers 500 for the tags of an unknown instance
    status, error = sim.request("GET", "/2/instances/ghost.example.org/tags")
    assert status == 500
    assert error["message"] == "(&#x27;Instance name ghost.example.org not found&#x27;, &#x27;unknown_entity&#x27;)"
    status, error = sim.request("POST", f"/2/instances/{name}/reinstall?reason=x", {"start": True})
    assert status == 400 and error["message"] == "Can&#x27;t combine query and body parameters"


def test_bodies_need_the_json_content_type_and_valid_json(sim):
    name = first_instance(sim)
    path = f"/2/instances/{name}/modify"
    status, error = sim.request("PUT", path, data=b'{"beparams": {}}', headers={"Content-Type": "text/plain"})
    assert status == 415 and error["message"] == "Unsupported Media Type"
    status, error = sim.request("PUT", path, data=b"{not json", headers={"Content-Type": "application/json"})
    assert status == 400 and error["message"] == "Unable to parse JSON data"
    status, error = sim.request("PUT", path, {"hotplug_if_possible": True})
    assert status == 400 and "hotplug_if_possible" in error["message"]
    status, error = sim.request("PUT", path, {"instance_name": "other"})
    assert status == 400 and "override" in error["message"]
    assert sim.request("PUT", "/2/nodes/node2.ganeti.test/role", {"role": "x"})[0] == 400  # not a string


def test_boolean_query_arguments_are_integers(sim):
    assert isinstance(sim.request("GET", "/2/instances?bulk=0")[1][0], dict)
    assert "uri" in sim.request("GET", "/2/instances?bulk=0")[1][0]
    assert "status" in sim.request("GET", "/2/instances?bulk=1")[1][0]
    status, error = sim.request("GET", "/2/instances?bulk=true")
    assert status == 400 and "bulk" in error["message"]


def test_every_answer_closes_the_connection(sim):
    _status, headers, _ = sim.request_full("GET", "/version")
    assert headers["Connection"] == "close" and headers["Content-Type"] == "application/json"
    connection = http.client.HTTPSConnection("127.0.0.1", sim.port, context=sim.tls_context, timeout=10)
    connection.request("GET", "/version")
    response = connection.getresponse()
    assert response.read() == b"2" and response.will_close


def test_tls_certificate_matches_the_printed_fingerprint(sim):
    with socket.create_connection(("127.0.0.1", sim.port), timeout=10) as raw:
        with sim.tls_context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            der = tls.getpeercert(binary_form=True)
    assert hashlib.sha256(der).hexdigest() == sim.fingerprint.replace(":", "").lower()
    verifying = ssl.create_default_context()
    with pytest.raises(ssl.SSLCertVerificationError):  # self-signed, as real RAPI
        with socket.create_connection(("127.0.0.1", sim.port), timeout=10) as raw:
            verifying.wrap_socket(raw, server_hostname="127.0.0.1")


def test_plain_http_without_tls(simulators):
    sim = simulators(tls=False)
    assert sim.url.startswith("http://") and sim.fingerprint is None
    assert sim.request("GET", "/version") == (200, 2)


def test_users_file_formats_and_reload(simulators, tmp_path):
    ha1 = hashlib.md5(b"hashed:Ganeti Remote API:pw-one").hexdigest()
    users = {"plain": ("bare-secret", "write"), "hashed": ("pw-one", "read")}
    sim = simulators(users=users, require_authentication=True)
    users_file = next(tmp_path.glob("users-*"))
    users_file.write_text(f"# comment line\nplain bare-secret write\nhashed {{HA1}}{ha1} read\n"
                          "nooptions {CLEARTEXT}third\n")
    sim.users["nooptions"] = ("third", "")
    assert sim.request("GET", "/2/info", user="plain")[0] == 200
    assert sim.request("GET", "/2/info", user="hashed")[0] == 200
    assert sim.request("GET", "/2/info", user="nooptions")[0] == 200   # any valid user may GET
    assert sim.request("GET", "/2/query/node?fields=name", user="nooptions")[0] == 403  # needs read
    assert sim.request("PUT", "/2/tags?tag=x", user="hashed")[0] == 403
    assert sim.request("PUT", "/2/tags?tag=x", user="plain")[0] == 200
    time.sleep(0.01)
    users_file.write_text("plain changed write\n")  # re-read on change, as ganeti-rapi <= 3.1 does
    assert sim.request("GET", "/2/info", user="plain")[0] == 401


def test_tls_cert_file_keeps_the_certificate_across_restarts(simulators, tmp_path):
    cert = tmp_path / "rapi.pem"
    first = simulators(tls_cert=cert)
    assert cert.exists() and cert.stat().st_mode & 0o777 == 0o600
    first.stop()
    again = simulators(tls_cert=cert)
    assert again.fingerprint == first.fingerprint
    assert simulators().fingerprint != first.fingerprint  # without the file: a new one per start
