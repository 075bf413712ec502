"""Where stack tests keep what a person looks at afterwards (screenshots, captured pages).

    path = artifact_dir("journey")   # $TEST_ARTIFACTS_DIR/journey, emptied

TEST_ARTIFACTS_DIR defaults to var/test-artifacts/ in the checkout (CI collects it from there).
"""

import os
import shutil
from pathlib import Path

from tests.helpers import PROJECT_DIR


def artifacts_root() -> Path:
    return Path(os.environ.get("TEST_ARTIFACTS_DIR") or PROJECT_DIR / "var" / "test-artifacts")


def artifact_dir(name: str) -> Path:
    """The artifact directory `name`, emptied: call it at the start of the test that fills it."""
    path = artifacts_root() / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path
