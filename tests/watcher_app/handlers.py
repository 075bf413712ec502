"""Handlers the watcher tests drive through real beanstalkd messages."""

from pathlib import Path

import gevent

from ganetimgr.worker import Retry, handles


@handles("TEST_WRITE")
def write_file(message):
    gevent.sleep(message.get("seconds", 0))
    Path(message["path"]).write_text(message["text"])


@handles("TEST_FAIL")
def fail(message):
    raise RuntimeError("the handler failed on purpose")


@handles("TEST_RETRY")
def retry(message):
    raise Retry("not yet", delay=120)


@handles("TEST_APPEND")
def append_line(message):
    gevent.sleep(message.get("seconds", 0))
    with open(message["path"], "a") as handle:
        handle.write(message["text"] + "\n")
