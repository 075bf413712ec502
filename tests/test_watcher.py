"""watcher.py as operators run it: a real process against the real beanstalkd."""

import json
import signal
import subprocess
import time

import greenstalk
import pytest

from tests.helpers import PROJECT_DIR, PYTHON, OutputReader, free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def watcher_env(watcher_env):
    """tests/conftest.py's watcher environment, with the test handlers' app (tests/watcher_app)."""
    return {**watcher_env, "DJANGO_SETTINGS_MODULE": "tests.watcher_settings"}


def test_watcher_connects_and_stops_cleanly_on_sigterm(start_watcher, tube):
    watcher, output = start_watcher()
    log = "".join(output.lines)
    assert f"tube {tube}" in log and "started pid=" in log
    watcher.send_signal(signal.SIGTERM)
    assert watcher.wait(timeout=10) == 0
    rest = output.rest()
    assert "SIGTERM received" in rest and "stopped" in rest and "Traceback" not in log + rest


def test_messages_are_handled_deleted_retried_or_buried(run_watcher, queue, tube, tmp_path):
    target = tmp_path / "written.txt"
    queue.put(json.dumps({"type": "TEST_WRITE", "path": str(target), "text": "hello"}))
    queue.put(json.dumps({"type": "TEST_FAIL"}))
    queue.put(json.dumps({"type": "TEST_RETRY"}))
    queue.put(json.dumps({"type": "NO_SUCH_TYPE"}))
    queue.put("this is not json")
    output = run_watcher(timeout=60)
    assert target.read_text() == "hello"
    stats = queue.stats_tube(tube)
    assert stats["current-jobs-buried"] == 3, output  # failing handler, unknown type, not JSON
    assert stats["current-jobs-delayed"] == 1, output  # the retry
    assert stats["current-jobs-ready"] == 0 and stats["current-jobs-reserved"] == 0
    assert "no handler for message type 'NO_SUCH_TYPE'" in output and "message is not JSON" in output
    assert "the handler failed on purpose" in output and "retry in 120s: not yet" in output
    buried = queue.peek_buried()
    assert buried.body  # kept for an admin to read, never dropped


def test_sigterm_lets_a_running_message_finish(start_watcher, queue, tmp_path):
    target = tmp_path / "slow.txt"
    watcher, output = start_watcher()
    queue.put(json.dumps({"type": "TEST_WRITE", "path": str(target), "text": "done", "seconds": 2}))
    output.until("type=TEST_WRITE started")
    watcher.send_signal(signal.SIGTERM)
    assert watcher.wait(timeout=20) == 0
    assert target.read_text() == "done"


def test_watcher_reconnects_when_beanstalkd_restarts(project_env, tmp_path):
    """A private beanstalkd is stopped under the watcher and started again: the next message still runs."""
    port = free_port()

    def start_beanstalkd():
        server = subprocess.Popen(["beanstalkd", "-l", "127.0.0.1", "-p", str(port)])
        for _ in range(100):
            try:
                greenstalk.Client(("127.0.0.1", port)).close()
                return server
            except OSError:
                time.sleep(0.05)
        raise AssertionError("beanstalkd did not start")

    server = start_beanstalkd()
    env = {**project_env, "BEANSTALK_URL": f"127.0.0.1:{port}", "BEANSTALK_TUBE": "reconnect",
           "DJANGO_SETTINGS_MODULE": "tests.watcher_settings"}
    watcher = subprocess.Popen([PYTHON, "watcher.py"], cwd=PROJECT_DIR, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = OutputReader(watcher)
    try:
        output.until("connected to beanstalkd")
        server.terminate()
        server.wait()
        output.until("reconnecting")
        server = start_beanstalkd()
        output.until("connected to beanstalkd")
        target = tmp_path / "after-restart.txt"
        with greenstalk.Client(("127.0.0.1", port), use="reconnect") as client:
            client.put(json.dumps({"type": "TEST_WRITE", "path": str(target), "text": "still here"}))
        output.until("done")
        assert target.read_text() == "still here"
    finally:
        watcher.terminate()
        watcher.wait(timeout=20)
        server.terminate()
        server.wait()


def test_sigterm_starts_no_new_message(start_watcher, queue, tube, tmp_path):
    target = tmp_path / "lines.txt"
    for text in ("first", "second"):
        queue.put(json.dumps({"type": "TEST_APPEND", "path": str(target), "text": text, "seconds": 2}))
    watcher, output = start_watcher("--concurrency", "1")
    output.until("type=TEST_APPEND started")
    watcher.send_signal(signal.SIGTERM)
    assert watcher.wait(timeout=20) == 0
    assert target.read_text() == "first\n"
    assert queue.stats_tube(tube)["current-jobs-ready"] == 1  # the second waits for the next watcher


def test_a_handler_longer_than_the_ttr_keeps_its_message(run_watcher, queue, tube, tmp_path):
    target = tmp_path / "lines.txt"
    queue.put(json.dumps({"type": "TEST_APPEND", "path": str(target), "text": "once", "seconds": 5}), ttr=2)
    output = run_watcher(timeout=60)
    assert target.read_text() == "once\n", output  # not handed out a second time after 2 s
    assert "could not be" not in output
    stats = queue.stats_tube(tube)
    assert stats["current-jobs-ready"] == stats["current-jobs-buried"] == stats["current-jobs-reserved"] == 0


def test_enqueue_reaches_the_watcher(run_watcher, project_env, tube, tmp_path):
    """ganetimgr.queue.enqueue (what views call) puts a message the watcher runs."""
    target = tmp_path / "enqueued.txt"
    env = {**project_env, "BEANSTALK_TUBE": tube}
    code = ("import django, sys; django.setup(); from ganetimgr.queue import enqueue; "
            f"print(enqueue({{'type': 'TEST_WRITE', 'path': {str(target)!r}, 'text': 'via enqueue'}}))")
    put = subprocess.run([PYTHON, "-c", code], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=60)
    assert put.returncode == 0 and put.stdout.strip().isdigit(), put.stderr
    output = run_watcher(timeout=60)
    assert target.read_text() == "via enqueue", output
