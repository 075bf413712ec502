"""The contract suite's backends and helpers: jobs, throw-away instances, names."""

from __future__ import annotations

import os
import secrets
import time
from contextlib import suppress
from dataclasses import dataclass

import requests

from ganeti.rapi.client import GanetiApiError, RapiClient

ACTING_USER = "alice"
# Unique per run, so that runs sharing the testbed never touch each other's instances.
RUN_ID = f"{os.getpid()}-{secrets.token_hex(2)}"
SUITE_TAG = "ganetimgr-contract"               # on every instance this suite creates
OWNER_TAG = f"ganetimgr-contract:owner:{RUN_ID}"  # the owner tag the query test filters on
# Leftovers of a killed run (tagged SUITE_TAG) older than this are deleted when a run starts.
LEFTOVER_AGE = 3600
JOB_TIMEOUT = 90

_instance_counter = iter(range(1, 10_000))


@dataclass(frozen=True)
class RapiBackend:
    """One RAPI to test against: `client` is our client with the write user, acting as ACTING_USER."""

    name: str          # "simulator" or "real"
    client: RapiClient
    url: str
    host: str
    port: int
    username: str
    password: str
    readonly_username: str
    readonly_password: str

    def client_as(self, username: str, password: str, **options) -> RapiClient:
        return RapiClient(self.host, self.port, username=username, password=password, verify=False, **options)

    def raw(self, method: str, path: str, *, auth: tuple[str, str] | None = None, anonymous: bool = False,
            **kwargs) -> requests.Response:
        """A request that bypasses our client, for contract points about the wire itself; with the
        write user's credentials unless `auth` names others or `anonymous` is set."""
        if not anonymous:
            auth = auth or (self.username, self.password)
        return requests.request(method, self.url + path, auth=auth, verify=False, timeout=15, **kwargs)


def make_backend(name, host, port, user, readonly_user) -> RapiBackend:
    client = RapiClient(host, port, username=user[0], password=user[1], verify=False, acting_user=ACTING_USER)
    return RapiBackend(name=name, client=client, url=client.base_url, host=host, port=port,
                       username=user[0], password=user[1],
                       readonly_username=readonly_user[0], readonly_password=readonly_user[1])


# -- jobs and instances ----------------------------------------------------------------------------


def run_job(rapi: RapiBackend, job_id: int) -> dict:
    """The finished job (any final status)."""
    assert isinstance(job_id, int), f"job-submitting calls return an int job id, got {job_id!r}"
    return rapi.client.wait_for_job(job_id, timeout=JOB_TIMEOUT)


def succeeded(rapi: RapiBackend, job_id: int) -> dict:
    """The finished job, which must have succeeded."""
    job = run_job(rapi, job_id)
    assert job["status"] == "success", f"job {job_id} {job['status']}: {job['error_message']} ({job['error_code']})"
    return job


def unique_name(prefix: str = "ct") -> str:
    return f"{prefix}-{RUN_ID}-{next(_instance_counter)}.ganeti.test"


def pick_os(rapi: RapiBackend) -> str:
    """A no-op OS where there is one (the testbed has "noop"), else the first the cluster offers."""
    names = rapi.client.get_os()
    return "noop" if "noop" in names else names[0]


def primary_node(rapi: RapiBackend) -> str:
    """The master: every backend's master can host instances."""
    return rapi.client.get_info()["master"]


def create_instance(rapi: RapiBackend, name: str, *, disk_template: str = "file", start: bool = True,
                    tags=(), **options) -> dict:
    """Creates the instance and returns the finished create job (which must have succeeded)."""
    disks = [] if disk_template == "diskless" else [{"size": 64}]
    job_id = rapi.client.create_instance(
        name, disk_template=disk_template, disks=disks, nics=[{}], os=pick_os(rapi), pnode=primary_node(rapi),
        beparams={"maxmem": 128, "minmem": 128, "vcpus": 1}, tags=[SUITE_TAG, *tags], start=start,
        name_check=False, ip_check=False, **options)
    return succeeded(rapi, job_id)


def delete_quietly(rapi: RapiBackend, name: str) -> None:
    """Cleanup: delete the instance if it exists, waiting for the job; never raises."""
    with suppress(GanetiApiError):
        rapi.client.get_instance(name)
        run_job(rapi, rapi.client.delete_instance(name))


def set_running(rapi: RapiBackend, name: str, running: bool) -> dict:
    """Brings the instance to the state a test starts from; returns it as then read."""
    instance = rapi.client.get_instance(name)
    if (instance["admin_state"] == "up") != running or bool(instance["oper_state"]) != running:
        action = rapi.client.startup_instance if running else rapi.client.shutdown_instance
        succeeded(rapi, action(name))
        instance = rapi.client.get_instance(name)
    return instance


def delete_leftovers(rapi: RapiBackend) -> None:
    """Instances of an earlier run that was killed before its cleanup (the real cluster keeps them)."""
    cutoff = time.time() - LEFTOVER_AGE
    for row in rapi.client.query("instance", ["name", "ctime"], ["=[]", "tags", SUITE_TAG]):
        if (row["ctime"] or 0) < cutoff:
            delete_quietly(rapi, row["name"])
