"""The one Ganeti RAPI v2 client: a method per resource ganetimgr uses, one error type.

Written from ../shared/reference/rapi-spec.md (RAPI as Ganeti's code behaves). It knows nothing of
Django: `ganeti.rapi.connection.client_for()` builds one from a Cluster row and the settings.
Every answer is normalised across Ganeti versions (job ids to int, admin_state to words, node role
letters to words, unknown statuses to "unknown", a null job status to "error").
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import socket
import ssl
import time
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
import requests
import urllib3
from requests.adapters import HTTPAdapter

__all__ = [
    "FINALIZED_JOB_STATUSES",
    "GanetiApiError",
    "INSTANCE_STATUSES",
    "NODE_ROLES",
    "RapiClient",
    "admin_state_word",
    "instance_status",
    "fetch_certificate_fingerprint",
    "normalize_instance",
    "normalize_job",
    "normalize_node",
]

# Instance run states RAPI computes; anything else (a newer Ganeti) becomes "unknown".
INSTANCE_STATUSES = frozenset({
    "running", "ADMIN_down", "ADMIN_offline", "ERROR_up", "ERROR_down", "ERROR_nodedown",
    "ERROR_nodeoffline", "ERROR_wrongnode", "USER_down",
})
# Bulk node listings give one letter; GET /2/nodes/<n>/role gives these words.
NODE_ROLES = {"M": "master", "C": "master-candidate", "R": "regular", "D": "drained", "O": "offline"}
JOB_STATUSES = frozenset({"queued", "waiting", "running", "canceling", "success", "error", "canceled"})
FINALIZED_JOB_STATUSES = frozenset({"success", "error", "canceled"})

# Unverified connections happen only where an admin turned verification off for a cluster, and the
# admin shows it; a warning on every request would only fill the logs.
urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

ERROR_KINDS = ("http", "timeout", "connection", "tls", "bad_response")


class GanetiApiError(Exception):
    """Anything that went wrong talking to a RAPI: an HTTP error, a timeout, a refused connection,
    a certificate that does not match, or an answer that is not JSON.

    `code` is the HTTP status (None when no HTTP answer came), `message` is Ganeti's own text,
    unescaped, fit to show to a user; `kind` is one of ERROR_KINDS."""

    def __init__(self, message: str, *, code: int | None = None, explain: str = "", kind: str = "http"):
        super().__init__(message)
        self.message = message
        self.code = code
        self.explain = explain
        self.kind = kind

    def __str__(self) -> str:
        return f"{self.code} {self.message}" if self.code else self.message


class _UnverifiedContextAdapter(HTTPAdapter):
    """For pinned or unverified clusters: one TLS context for every connection (RAPI closes each
    one, and a new context per connection costs more than the request), loading no CA store, and,
    when pinned, accepting exactly one server certificate by SHA-256 fingerprint."""

    def __init__(self, fingerprint: str | None, **kwargs):
        self._fingerprint = fingerprint
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self._context.check_hostname = False
        self._context.verify_mode = ssl.CERT_NONE
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["ssl_context"] = self._context
        if self._fingerprint:
            kwargs["assert_fingerprint"] = self._fingerprint
        return super().init_poolmanager(*args, **kwargs)


def _query_value(value: Any) -> Any:
    """RAPI reads booleans in the query string as 0/1."""
    return int(value) if isinstance(value, bool) else value


class RapiClient:
    """One cluster's RAPI.

    TLS: `fingerprint` (the SHA-256 of the server certificate, hex with or without colons) pins
    that certificate; otherwise `verify` is handed to requests (a path = that CA bundle, True =
    certifi's, False = no verification, only when an admin turned it off).
    `acting_user` goes into the `reason=` of every write, so `gnt-job info` names the web user.
    """

    def __init__(self, host: str, port: int = 5080, *, username: str = "", password: str = "",
                 verify: bool | str = True, fingerprint: str | None = None, connect_timeout: float = 8,
                 read_timeout: float = 15, acting_user: str | None = None, reason_prefix: str = "ganetimgr",
                 session: requests.Session | None = None):
        self.host = host.strip("[]")
        self.port = int(port)
        address = f"[{self.host}]" if ":" in self.host else self.host
        self.base_url = f"https://{address}:{self.port}"
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.acting_user = acting_user
        self.reason_prefix = reason_prefix
        if session is None:
            session = requests.Session()
            # Not the environment's proxies, .netrc or CA bundle: a RAPI is reached directly, as configured.
            session.trust_env = False
            session.headers.update({"Accept": "application/json", "User-Agent": "ganetimgr"})
            if username:
                session.auth = (username, password)
            if fingerprint or verify is False:
                session.mount("https://", _UnverifiedContextAdapter(fingerprint))
        # Passed with every request, where nothing from the environment can override it.
        self._verify = False if fingerprint else verify
        self._session = session

    def as_user(self, acting_user: str | None) -> RapiClient:
        """The same connection, writing in the name of another web user."""
        other = object.__new__(RapiClient)
        other.__dict__.update(self.__dict__)
        other.acting_user = acting_user
        return other

    # -- transport ---------------------------------------------------------------------------------

    def _request(self, method: str, path: str, *, params: Iterable[tuple[str, Any]] | Mapping | None = None,
                 body: Any = None, read_timeout: float | None = None) -> Any:
        if isinstance(params, Mapping):
            params = params.items()
        query = [(key, _query_value(value)) for key, value in (params or ()) if value is not None]
        kwargs: dict[str, Any] = {}
        if body is not None:
            # RAPI answers 415 to a body without this header.
            kwargs["data"] = json.dumps(body)
            kwargs["headers"] = {"Content-Type": "application/json"}
        try:
            response = self._session.request(
                method, self.base_url + path, params=query,
                timeout=(self.connect_timeout, read_timeout or self.read_timeout), verify=self._verify, **kwargs,
            )
        except requests.exceptions.SSLError as exc:
            raise GanetiApiError(_reason(exc), kind="tls") from exc
        except requests.exceptions.Timeout as exc:
            raise GanetiApiError("No answer within the timeout.", kind="timeout") from exc
        except requests.exceptions.RequestException as exc:
            raise GanetiApiError(_reason(exc), kind="connection") from exc
        return self._decode(response)

    @staticmethod
    def _decode(response: requests.Response) -> Any:
        try:
            # orjson: a cluster's instance list is megabytes, and several are parsed per page.
            data = orjson.loads(response.content) if response.content else None
        except ValueError:
            data = ValueError
        if response.status_code >= 400:
            if isinstance(data, dict) and "message" in data:
                raise GanetiApiError(html.unescape(str(data["message"])), code=response.status_code,
                                     explain=str(data.get("explain") or ""))
            raise GanetiApiError(response.reason or "HTTP error", code=response.status_code)
        if data is ValueError:
            raise GanetiApiError("The answer is not JSON.", code=response.status_code, kind="bad_response")
        return data

    def _get(self, path: str, **params: Any) -> Any:
        return self._request("GET", path, params=params)

    def _write(self, method: str, path: str, *, params: Iterable[tuple[str, Any]] | Mapping | None = None,
               body: Any = None) -> int:
        """A job-submitting call: adds reason=, returns the job id as an int."""
        query = list(params.items() if isinstance(params, Mapping) else params or ())
        query.append(("reason", f"{self.reason_prefix}:{self.acting_user or 'system'}"))
        return _job_id(self._request(method, path, params=query, body=body))

    # -- cluster -----------------------------------------------------------------------------------

    def version(self) -> int:
        return _as_int(self._get("/version"), "a version")

    def get_info(self) -> dict:
        return self._get("/2/info")

    def get_features(self) -> list[str]:
        try:
            return list(self._get("/2/features"))
        except GanetiApiError as exc:
            if exc.code == 404:  # before Ganeti 2.2
                return []
            raise

    def get_os(self) -> list[str]:
        return list(self._get("/2/os"))

    # -- nodes, groups, networks -------------------------------------------------------------------

    def get_nodes(self, bulk: bool = True) -> list[dict]:
        nodes = self._get("/2/nodes", bulk=bulk)
        return [normalize_node(node) for node in nodes] if bulk else nodes

    def get_node(self, name: str) -> dict:
        return normalize_node(self._get(f"/2/nodes/{name}"))

    def get_node_role(self, name: str) -> str:
        return self._get(f"/2/nodes/{name}/role")

    def set_node_role(self, name: str, role: str, force: bool = False, auto_promote: bool = False) -> int:
        return self._write("PUT", f"/2/nodes/{name}/role", params={"force": force, "auto-promote": auto_promote},
                           body=role)

    def migrate_node(self, name: str, mode: str | None = None, target_node: str | None = None,
                     iallocator: str | None = None) -> int:
        body = _without_none(mode=mode, target_node=target_node, iallocator=iallocator)
        return self._write("POST", f"/2/nodes/{name}/migrate", body=body)

    def evacuate_node(self, name: str, mode: str = "all", iallocator: str | None = None,
                      remote_node: str | None = None, early_release: bool = False) -> int:
        body = _without_none(mode=mode, iallocator=iallocator, remote_node=remote_node, early_release=early_release)
        return self._write("POST", f"/2/nodes/{name}/evacuate", body=body)

    def get_node_tags(self, name: str) -> list[str]:
        return list(self._get(f"/2/nodes/{name}/tags"))

    def get_groups(self, bulk: bool = True) -> list[dict]:
        return self._get("/2/groups", bulk=bulk)

    def get_group(self, name: str) -> dict:
        return self._get(f"/2/groups/{name}")

    def get_group_tags(self, name: str) -> list[str]:
        return list(self._get(f"/2/groups/{name}/tags"))

    def get_networks(self, bulk: bool = True) -> list[dict]:
        return self._get("/2/networks", bulk=bulk)

    def get_network(self, name: str) -> dict:
        return self._get(f"/2/networks/{name}")

    # -- instances: reads --------------------------------------------------------------------------

    def get_instances(self, bulk: bool = True) -> list[dict]:
        instances = self._get("/2/instances", bulk=bulk)
        return [normalize_instance(row) for row in instances] if bulk else instances

    def get_instance(self, name: str) -> dict:
        return normalize_instance(self._get(f"/2/instances/{name}"))

    def get_instance_tags(self, name: str) -> list[str]:
        return list(self._get(f"/2/instances/{name}/tags"))

    def get_instance_info(self, name: str, static: bool = False) -> int:
        """Submits an OpInstanceQueryData job; its result holds the details."""
        return _job_id(self._get(f"/2/instances/{name}/info", static=static))

    def get_console(self, name: str) -> dict:
        """How to reach the console: a dict with `kind` (vnc, spice, ssh or msg). 503 when stopped."""
        return self._get(f"/2/instances/{name}/console")

    def query(self, resource: str, fields: Iterable[str], qfilter: list | None = None) -> list[dict]:
        """/2/query/<resource>: one dict per item; a value Ganeti could not give (node down, no such
        NIC, ...) is None."""
        fields = list(fields)
        return [dict(zip(fields, values)) for values in self.query_values(resource, fields, qfilter)]

    def query_values(self, resource: str, fields: Iterable[str], qfilter: list | None = None) -> list[list]:
        """/2/query/<resource> as one list of values per item, in the order of `fields` (what large
        listings use: no dict per item); a value Ganeti could not give is None."""
        body: dict[str, Any] = {"fields": list(fields)}
        if qfilter is not None:
            body["qfilter"] = qfilter
        answer = self._request("PUT", f"/2/query/{resource}", body=body)
        try:
            return [[value if status == 0 else None for status, value in row] for row in answer["data"]]
        except (TypeError, KeyError, ValueError):
            raise GanetiApiError("The query answer has no rows of [status, value] pairs.",
                                 kind="bad_response") from None

    # -- instances: writes -------------------------------------------------------------------------

    def create_instance(self, name: str, *, disk_template: str, disks: list[dict], nics: list[dict],
                        os: str | None = None, pnode: str | None = None, snode: str | None = None,
                        iallocator: str | None = None, beparams: dict | None = None, hvparams: dict | None = None,
                        osparams: dict | None = None, tags: Iterable[str] = (), start: bool = True,
                        name_check: bool = False, ip_check: bool = False, dry_run: bool = False, **extra: Any) -> int:
        """The job's result is the list of nodes used. name_check/ip_check are always sent, since
        their defaults changed in Ganeti 3.1."""
        body = {
            "__version__": 1, "mode": "create", "instance_name": name, "disk_template": disk_template,
            "disks": disks, "nics": nics, "start": start, "name_check": name_check, "ip_check": ip_check,
            "tags": list(tags),
            **_without_none(os_type=os, pnode=pnode, snode=snode, iallocator=iallocator, beparams=beparams,
                            hvparams=hvparams, osparams=osparams),
            **extra,
        }
        return self._write("POST", "/2/instances", params={"dry-run": dry_run}, body=body)

    def delete_instance(self, name: str, dry_run: bool = False) -> int:
        return self._write("DELETE", f"/2/instances/{name}", params={"dry-run": dry_run})

    def startup_instance(self, name: str, force: bool = False, dry_run: bool = False) -> int:
        return self._write("PUT", f"/2/instances/{name}/startup", params={"force": force, "dry-run": dry_run})

    def shutdown_instance(self, name: str, timeout: int | None = None, dry_run: bool = False) -> int:
        return self._write("PUT", f"/2/instances/{name}/shutdown", params={"dry-run": dry_run},
                           body=_without_none(timeout=timeout))

    def reboot_instance(self, name: str, reboot_type: str = "hard", dry_run: bool = False) -> int:
        # POST: Ganeti answers 501 to PUT here.
        return self._write("POST", f"/2/instances/{name}/reboot", params={"type": reboot_type, "dry-run": dry_run})

    def reinstall_instance(self, name: str, os: str | None = None, start: bool = True,
                           osparams: dict | None = None) -> int:
        """One job: shutdown, reinstall, startup. The only write without reason=: Ganeti refuses query
        arguments beside a body, and drops the reason of the opcodes it builds here anyway (3.0.2),
        so the app's audit log is what names the user."""
        body = {"start": start, **_without_none(os=os, osparams=osparams)}
        return _job_id(self._request("POST", f"/2/instances/{name}/reinstall", body=body))

    def rename_instance(self, name: str, new_name: str, name_check: bool = False, ip_check: bool = False) -> int:
        body = {"new_name": new_name, "name_check": name_check, "ip_check": ip_check}
        return self._write("PUT", f"/2/instances/{name}/rename", body=body)

    def modify_instance(self, name: str, **params: Any) -> int:
        return self._write("PUT", f"/2/instances/{name}/modify", body=params)

    def migrate_instance(self, name: str, mode: str | None = None, target_node: str | None = None,
                         cleanup: bool = False) -> int:
        body = _without_none(mode=mode, target_node=target_node, cleanup=cleanup)
        return self._write("PUT", f"/2/instances/{name}/migrate", body=body)

    def failover_instance(self, name: str, target_node: str | None = None, ignore_consistency: bool = False) -> int:
        body = _without_none(target_node=target_node, ignore_consistency=ignore_consistency)
        return self._write("PUT", f"/2/instances/{name}/failover", body=body)

    def add_instance_tags(self, name: str, tags: Iterable[str], dry_run: bool = False) -> int:
        # Ganeti reads tags from repeated ?tag= arguments only; a body is ignored.
        return self._write("PUT", f"/2/instances/{name}/tags", params=_tag_params(tags, dry_run))

    def delete_instance_tags(self, name: str, tags: Iterable[str], dry_run: bool = False) -> int:
        return self._write("DELETE", f"/2/instances/{name}/tags", params=_tag_params(tags, dry_run))

    # -- jobs --------------------------------------------------------------------------------------

    def get_jobs(self, bulk: bool = False) -> list[dict]:
        jobs = self._get("/2/jobs", bulk=bulk)
        if bulk:
            return [normalize_job(job) for job in jobs]
        return [{**job, "id": int(job["id"])} for job in jobs]

    def get_job(self, job_id: int) -> dict:
        return normalize_job(self._get(f"/2/jobs/{int(job_id)}"), job_id=int(job_id))

    def cancel_job(self, job_id: int) -> tuple[bool, str]:
        """Cancel a job that has not started: (whether it was cancelled, Ganeti's message)."""
        answer = self._request("DELETE", f"/2/jobs/{int(job_id)}",
                               params=[("reason", f"{self.reason_prefix}:{self.acting_user or 'system'}")])
        if not (isinstance(answer, list) and len(answer) == 2):
            raise GanetiApiError(f"Expected [success, message], got {answer!r:.80}.", kind="bad_response")
        return bool(answer[0]), str(answer[1])

    def wait_for_job_change(self, job_id: int, fields: list[str], previous_job_info: list | None = None,
                            previous_log_serial: int | None = None) -> dict | None:
        """Long poll (Ganeti holds it up to ~10 s): None when nothing changed, else
        {"job_info": [...], "log_entries": [...]}. Needs a `write` RAPI user."""
        body = {"fields": fields, "previous_job_info": previous_job_info, "previous_log_serial": previous_log_serial}
        return self._request("GET", f"/2/jobs/{int(job_id)}/wait", body=body,
                             read_timeout=max(self.read_timeout, 20))

    def wait_for_job(self, job_id: int, timeout: float = 60.0) -> dict:
        """Poll the job until it ends; returns the final job. Raises GanetiApiError(kind="timeout")."""
        deadline = time.monotonic() + timeout
        delay = 0.2
        while True:
            job = self.get_job(job_id)
            if job["status"] in FINALIZED_JOB_STATUSES:
                return job
            if time.monotonic() + delay > deadline:
                raise GanetiApiError(f"Job {job_id} did not end within {timeout:g} s.", kind="timeout")
            time.sleep(delay)
            delay = min(delay * 1.5, 2.0)


def fetch_certificate_fingerprint(host: str, port: int, timeout: float = 8) -> str:
    """The SHA-256 fingerprint ("AB:CD:...") of the certificate a RAPI presents, unverified: what
    pinning records at first contact."""
    host = host.strip("[]")
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            with context.wrap_socket(sock, server_hostname=host) as tls:
                der = tls.getpeercert(binary_form=True)
    except TimeoutError as exc:
        raise GanetiApiError("No answer within the timeout.", kind="timeout") from exc
    except ssl.SSLError as exc:
        raise GanetiApiError(str(exc.reason or exc), kind="tls") from exc
    except OSError as exc:
        raise GanetiApiError(str(exc.strerror or exc), kind="connection") from exc
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


# -- normalisation ---------------------------------------------------------------------------------


def normalize_instance(row: dict) -> dict:
    if "admin_state" in row:
        row["admin_state"] = admin_state_word(row["admin_state"])
    if "status" in row:
        row["status"] = instance_status(row["status"])
    return row


def admin_state_word(value):
    """up/down/offline; a bool before Ganeti 2.6."""
    return ("up" if value else "down") if isinstance(value, bool) else value


def instance_status(value) -> str:
    """The run status, or "unknown" for a word this code does not know (a newer Ganeti)."""
    return value if value in INSTANCE_STATUSES else "unknown"


def normalize_node(row: dict) -> dict:
    """Bulk listings give the role as a letter; older ones none at all."""
    role = row.get("role")
    if role in NODE_ROLES:
        row["role"] = NODE_ROLES[role]
    elif role not in NODE_ROLES.values():
        if row.get("offline"):
            row["role"] = "offline"
        elif row.get("drained"):
            row["role"] = "drained"
        elif row.get("master_candidate"):
            row["role"] = "master-candidate"
        else:
            row["role"] = "regular"
    return row


def normalize_job(job: dict, job_id: int | None = None) -> dict:
    """id to int; a null status (Ganeti 3.0 answers an unknown job id with every field null) is an
    error, never "still running"; "waitlock" (before 2.6) is "waiting"; a status this code does not
    know is "unknown"; error_message/error_code from the failed opcode."""
    if not isinstance(job, dict):
        raise GanetiApiError(f"Expected a job, got {job!r:.80}.", kind="bad_response")
    job = dict(job)
    try:
        job["id"] = int(job["id"]) if job.get("id") is not None else job_id
    except (TypeError, ValueError):
        raise GanetiApiError(f"Expected a job id, got {job['id']!r:.80}.", kind="bad_response") from None
    error_message = error_code = None
    if job.get("status") is None:
        job["status"] = "error"
        error_message = "Ganeti does not know this job (unknown or archived)."
    elif job["status"] == "waitlock":
        job["status"] = "waiting"
    elif job["status"] not in JOB_STATUSES:
        job["status"] = "unknown"
    elif job["status"] == "error":
        error_message, error_code = _job_failure(job.get("opresult") or [])
        error_message = error_message or "The job failed."
    job["error_message"] = error_message
    job["error_code"] = error_code
    return job


def _job_failure(opresult: list) -> tuple[str | None, str | None]:
    """The first failed opcode's ["OpPrereqError", [message, code]] as (message, code)."""
    for result in opresult:
        if (isinstance(result, list) and len(result) == 2 and isinstance(result[0], str)
                and result[0].endswith("Error")):
            details = result[1]
            if isinstance(details, list) and details:
                code = details[1] if len(details) > 1 and isinstance(details[1], str) else None
                return str(details[0]), code
            return str(details), None
    return None, None


def _job_id(answer: Any) -> int:
    """Job-submitting calls answer the id, a JSON string before Ganeti 2.7."""
    return _as_int(answer, "a job id")


def _as_int(answer: Any, what: str) -> int:
    try:
        return int(answer)
    except (TypeError, ValueError):
        raise GanetiApiError(f"Expected {what}, got {answer!r:.80}.", kind="bad_response") from None


def _tag_params(tags: Iterable[str], dry_run: bool) -> list[tuple[str, Any]]:
    return [("tag", tag) for tag in tags] + [("dry-run", dry_run)]


def _without_none(**values: Any) -> dict:
    return {key: value for key, value in values.items() if value is not None}


def _reason(exc: Exception) -> str:
    """Why a connection failed, in a few words: not urllib3's wrapping, which names the pool,
    the host and the port."""
    cause = exc.args[0] if exc.args else exc
    text = str(getattr(cause, "reason", None) or cause)  # urllib3's MaxRetryError carries the real one
    if "Fingerprints did not match" in text:
        return "the certificate is not the pinned one; if the cluster's was renewed, forget the pinned one in the admin"
    errno = re.search(r"\[Errno [^\]]+\] ([^'\")]+)", text)
    if errno:
        return errno.group(1).strip()
    if "Failed to resolve" in text:
        return "the name does not resolve"
    if "RemoteDisconnected" in text or "Connection aborted" in text:
        return "the connection was closed without an answer"
    ssl_error = re.search(r"\[SSL: [A-Z_]+\] ([^(]+)", text)
    return ssl_error.group(1).strip() if ssl_error else text[-200:]
