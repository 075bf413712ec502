"""Fixtures of the stack tests. Each test module starts its own module-scoped stack (start_stack in
tests/stack/stack.py) with what it needs; these only give it a place."""

import pytest

from tests.stack.artifacts import artifact_dir


@pytest.fixture(scope="module")
def stack_workdir(tmp_path_factory, request):
    """A directory for the module's stack (its logs and configuration; KEEP_STACK=1 keeps them)."""
    return tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])


@pytest.fixture
def artifacts(request):
    """This test's artifact directory (tests/stack/artifacts.py), emptied."""
    return artifact_dir(request.node.name)
