"""Settings of the benchmarks that serve pages (bench/instances.py, jobs.py, stack.py): the project's own, with
the bench's URLconf (a trivial view added)."""

from ganetimgr.settings import *  # noqa: F401,F403

ROOT_URLCONF = "bench.site_urls"
