"""ganetimgr's settings plus the test handlers' app, for watcher processes started by the tests."""

from ganetimgr.settings import *  # noqa: F401,F403
from ganetimgr.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.watcher_app"]
