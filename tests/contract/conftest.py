"""The RAPI contract: fixtures that give each test one backend, the simulator or the real testbed.

`rapi` is parametrized over both backends; the "real" one carries the real_ganeti marker and is
skipped (loudly, see tests/testbed.py) when the testbed cannot start. Every test goes through our
client (ganeti.rapi.client); raw `requests` calls are used only where the contract is about the wire
itself (415, trailing slash, the raw unknown-job answer).

Instances created here are throw-away: unique names per run, a suite tag, deleted at the end of
their fixture even when a test failed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.contract.backends import (OWNER_TAG, RapiBackend, create_instance, delete_leftovers, delete_quietly,
                                     make_backend, unique_name)
from tests.simulator import start_simulator
from tests.testbed import PASSWORD, READONLY_PASSWORD, READONLY_USERNAME, USERNAME

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE not in item.path.parents:
            continue
        # Both backends serve self-signed certificates; the contract is tested with verify=False, as
        # the app does for clusters whose admin turned verification off: urllib3's warning is noise.
        item.add_marker(pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning"))


@pytest.fixture(scope="session")
def simulator_backend(tmp_path_factory) -> RapiBackend:
    """ganetisim as the testbed runs Ganeti: HTTPS, credentials required for every request, a write
    and a read-only user with the testbed's names. Several nodes, so migrate/failover are covered."""
    users = {USERNAME: (PASSWORD, "write"), READONLY_USERNAME: (READONLY_PASSWORD, "read")}
    with start_simulator(tmp_path_factory.mktemp("ganetisim"), users=users, require_authentication=True,
                         nodes=3) as simulator:
        host = simulator.url.split("://", 1)[1].rsplit(":", 1)[0]
        yield make_backend("simulator", host, simulator.port, (USERNAME, PASSWORD),
                           (READONLY_USERNAME, READONLY_PASSWORD))


@pytest.fixture(scope="session")
def real_backend(ganeti_testbed) -> RapiBackend:
    backend = make_backend("real", ganeti_testbed.host, ganeti_testbed.port,
                           (ganeti_testbed.username, ganeti_testbed.password),
                           (ganeti_testbed.readonly_username, ganeti_testbed.readonly_password))
    delete_leftovers(backend)
    return backend


@pytest.fixture(scope="session", params=[
    pytest.param("simulator", marks=pytest.mark.contract),
    pytest.param("real", marks=[pytest.mark.contract, pytest.mark.real_ganeti]),
])
def rapi(request) -> RapiBackend:
    return request.getfixturevalue(f"{request.param}_backend")


@pytest.fixture(scope="module")
def instance(rapi) -> str:
    """A running `file` instance (reinstall needs a disk) carrying OWNER_TAG, shared by a module's
    tests; each test first brings it to the state it needs (set_running), so order does not matter."""
    name = unique_name()
    try:
        create_instance(rapi, name, tags=[OWNER_TAG])
        yield name
    finally:
        delete_quietly(rapi, name)


@pytest.fixture
def new_instance_name(rapi):
    """Names for instances a test creates itself; whatever exists under them at the end is deleted."""
    names = []

    def make(prefix: str = "ct") -> str:
        names.append(unique_name(prefix))
        return names[-1]

    yield make
    for name in names:
        delete_quietly(rapi, name)
