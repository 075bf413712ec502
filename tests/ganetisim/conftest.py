"""The `simulators` factory fixture comes from tests/conftest.py; here one simulator shared per module."""

import pytest

from tests.simulator import start_simulator


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """One simulator shared by a module's tests (they use their own instances when they change any)."""
    with start_simulator(tmp_path_factory.mktemp("sim"), instances=12, nodes=3, owners="alice,bob",
                         owner_groups="ops") as shared:
        yield shared
