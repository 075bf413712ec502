#!/usr/bin/env python
"""ganetimgr's watcher: the gevent worker that takes messages from beanstalkd (BEANSTALK_URL,
BEANSTALK_TUBE) and runs them. Stop it with SIGTERM: it finishes what runs, then exits 0.

    python watcher.py [--concurrency N] [--burst] [-v 0|1|2]
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="ganetimgr watcher (beanstalkd worker)")
    parser.add_argument("--concurrency", type=int, default=10, help="messages handled at once (default 10)")
    parser.add_argument("--burst", action="store_true", help="exit once the tube is empty (for tests and cron)")
    parser.add_argument("-v", "--verbosity", type=int, choices=(0, 1, 2), default=1,
                        help="0 warnings, 1 info (default), 2 debug")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ganetimgr.settings")
    from ganetimgr.preflight import fail_cleanly, require_services

    with fail_cleanly("watcher"):
        import django

        django.setup()
        logging.getLogger().setLevel({0: logging.WARNING, 1: logging.INFO, 2: logging.DEBUG}[args.verbosity])
        require_services(("database", "queue"))

        from ganetimgr.worker import Watcher

        watcher = Watcher(concurrency=args.concurrency, burst=args.burst)
        watcher.install_signal_handlers()
        return watcher.run()


if __name__ == "__main__":
    sys.exit(main())
