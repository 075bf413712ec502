"""The watcher's loop: reserve messages from beanstalkd and hand each to the handler of its type.

Handlers live in the apps (a `handlers.py` module registering with @handles("TYPE")); this module
only moves messages. A handler that succeeds gets its message deleted; one that raises Retry gets
it released with a delay; anything else buries the message with the error logged, so nothing is
lost. Run it through watcher.py, which patches the standard library for gevent first.
"""

import contextlib
import json
import logging
import os
import signal
import socket
from collections.abc import Callable

import gevent
import gevent.event
import gevent.lock
import gevent.pool
import greenstalk
from django.db import close_old_connections
from django.utils.module_loading import autodiscover_modules

from ganetimgr import __version__
from ganetimgr.queue import MESSAGE_TTR, QueueUnavailable, beanstalk_client, beanstalk_target

__all__ = ["BadMessage", "Retry", "Watcher", "handles", "handler_for", "on_bury", "on_connect"]

logger = logging.getLogger("ganetimgr.watcher")

Handler = Callable[[dict], None]
_HANDLERS: dict[str, Handler] = {}
# Hooks, registered from the apps' handlers.py like the handlers: on_connect ones run (each in its own
# greenlet) whenever the watcher (re)connects to beanstalkd, e.g. to re-enqueue what the database says is
# unfinished; on_bury ones get (body, reason) of every buried message, e.g. to show it to admins.
_ON_CONNECT: list[Callable[[], None]] = []
_ON_BURY: list[Callable[[str, str], None]] = []


class BadMessage(Exception):
    """The message is not JSON, has no type, or no handler takes its type: nothing to retry."""


class Retry(Exception):
    """Raised by a handler for a transient failure: the message comes back after `delay` seconds."""

    def __init__(self, reason: str, *, delay: int = 30):
        super().__init__(reason)
        self.delay = delay


def handles(message_type: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of messages whose "type" is message_type."""

    def register(function: Handler) -> Handler:
        if _HANDLERS.get(message_type, function) is not function:
            raise ValueError(f"two handlers for queue message type {message_type!r}")
        _HANDLERS[message_type] = function
        return function

    return register


def handler_for(message_type: str) -> Handler | None:
    return _HANDLERS.get(message_type)


def on_connect(function: Callable[[], None]) -> Callable[[], None]:
    """Run `function()` each time the watcher connects to beanstalkd (at start and after an outage)."""
    if function not in _ON_CONNECT:
        _ON_CONNECT.append(function)
    return function


def on_bury(function: Callable[[str, str], None]) -> Callable[[str, str], None]:
    """Call `function(body, reason)` for every message the watcher buries."""
    if function not in _ON_BURY:
        _ON_BURY.append(function)
    return function


def _run_hook(function: Callable, *args) -> None:
    close_old_connections()
    try:
        function(*args)
    except Exception:
        logger.exception("Watcher hook %s failed", getattr(function, "__qualname__", function))
    finally:
        close_old_connections()


class Watcher:
    """Reserve, dispatch to a greenlet pool, delete/release/bury; stop cleanly on the first signal."""

    def __init__(self, *, concurrency: int = 10, reserve_timeout: int = 1, grace_seconds: int = 30,
                 burst: bool = False):
        self.name = f"{socket.gethostname()}.{os.getpid()}"
        self.reserve_timeout = reserve_timeout
        self.grace_seconds = grace_seconds
        self.burst = burst
        self.pool = gevent.pool.Pool(concurrency)
        self.stopping = gevent.event.Event()
        self._client: greenstalk.Client | None = None
        self._client_lock = gevent.lock.Semaphore()  # one beanstalkd connection, many greenlets

    # -- lifecycle ---------------------------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            gevent.signal_handler(signum, self.request_stop, signum)

    def request_stop(self, signum: int = signal.SIGTERM) -> None:
        """First signal: finish what runs, take nothing new. Second signal: stop now."""
        if self.stopping.is_set():
            logger.warning("Watcher %s: second %s, stopping now", self.name, signal.Signals(signum).name)
            self.pool.kill(block=False)
            return
        logger.info("Watcher %s: %s received, finishing %d running message(s)",
                    self.name, signal.Signals(signum).name, len(self.pool))
        self.stopping.set()

    def run(self) -> int:
        """Work until asked to stop (or, with burst, until the tube is empty); returns the exit status."""
        autodiscover_modules("handlers")
        logger.info("Watcher %s: started pid=%d version=%s beanstalkd=%s handlers=%s",
                    self.name, os.getpid(), __version__, beanstalk_target(), ",".join(sorted(_HANDLERS)) or "-")
        backoff = 1
        while not self.stopping.is_set():
            if self._client is None:
                if not self._connect():
                    self.stopping.wait(backoff)
                    backoff = min(backoff * 2, 30)
                    continue
                backoff = 1
            if not self.pool.free_count():
                self.stopping.wait(0.1)  # a slot frees up, or a signal asks to stop
                continue
            job = self._reserve()
            if job is None:
                if self.burst and self._client is not None:
                    if not len(self.pool):
                        break
                    self.pool.join()  # its messages may put new ones: look once more
                continue
            if self.stopping.is_set():  # the signal came while we waited in reserve
                self._finish(job, "release")
                break
            self.pool.spawn(self._process, job)
            gevent.sleep(0)  # let it start before blocking in the next reserve
        self._shutdown()
        return 0

    def _connect(self) -> bool:
        try:
            self._client = beanstalk_client(timeout=self.reserve_timeout + 10)
        except QueueUnavailable as exc:
            logger.warning("Watcher %s: beanstalkd %s did not answer (%s); retrying", self.name,
                           beanstalk_target(), exc)
            return False
        logger.info("Watcher %s: connected to beanstalkd %s", self.name, beanstalk_target())
        for hook in _ON_CONNECT:
            gevent.spawn(_run_hook, hook)
        return True

    def _reserve(self) -> greenstalk.Job | None:
        try:
            with self._client_lock:
                return self._client.reserve(timeout=self.reserve_timeout)
        except greenstalk.TimedOutError:
            return None
        except greenstalk.DeadlineSoonError:
            # A running message is close to its TTR: give _keep_reserved the connection to touch it.
            gevent.sleep(0.1)
            return None
        except (OSError, greenstalk.Error) as exc:
            logger.warning("Watcher %s: lost beanstalkd %s (%s); reconnecting", self.name, beanstalk_target(), exc)
            self._drop_client()
            return None
        finally:
            gevent.sleep(0)  # the lock is not fair: let greenlets waiting to delete or touch have it first

    def _shutdown(self) -> None:
        if len(self.pool):
            if not self.pool.join(timeout=self.grace_seconds):
                logger.warning("Watcher %s: %d message(s) still running after %ds; stopping them",
                               self.name, len(self.pool), self.grace_seconds)
                self.pool.kill()
        self._drop_client()
        logger.info("Watcher %s: stopped", self.name)

    def _drop_client(self) -> None:
        if self._client is not None:
            with contextlib.suppress(OSError):  # the socket may be broken already
                self._client.close()
            self._client = None

    # -- one message -------------------------------------------------------------------------------

    def _process(self, job: greenstalk.Job) -> None:
        close_old_connections()
        keep_reserved = gevent.spawn(self._keep_reserved, job)
        try:
            message = self._decode(job)
            handler = handler_for(message["type"])
            if handler is None:
                raise BadMessage(f"no handler for message type {message['type']!r}")
            logger.info("Watcher %s: job=%s type=%s started", self.name, job.id, message["type"])
            handler(message)
        except Retry as exc:
            logger.warning("Watcher %s: job=%s retry in %ds: %s", self.name, job.id, exc.delay, exc)
            self._finish(job, "release", delay=exc.delay)
        except Exception as exc:
            logger.error("Watcher %s: job=%s buried: %s body=%.200s", self.name, job.id, exc, job.body,
                         exc_info=not isinstance(exc, BadMessage))
            self._finish(job, "bury")
            for hook in _ON_BURY:
                _run_hook(hook, job.body, str(exc) or exc.__class__.__name__)
        else:
            logger.info("Watcher %s: job=%s done", self.name, job.id)
            self._finish(job, "delete")
        finally:
            # Never kill it in the middle of a command (stats-job, touch): the next command would read
            # that command's answer. Holding the lock, it is asleep or waiting for the lock.
            with self._client_lock:
                keep_reserved.kill()
            close_old_connections()

    def _keep_reserved(self, job: greenstalk.Job) -> None:
        """Touch the message well within its TTR, so a long handler keeps it (beanstalkd would hand it out again)."""
        try:
            with self._client_lock:
                ttr = self._client.stats_job(job)["ttr"] if self._client is not None else MESSAGE_TTR
        except (OSError, greenstalk.Error):
            return
        while True:
            gevent.sleep(max(ttr / 3, 0.5))
            try:
                with self._client_lock:
                    if self._client is None:
                        return
                    self._client.touch(job)
            except (OSError, greenstalk.Error) as exc:
                logger.warning("Watcher %s: job=%s could not be kept reserved: %s", self.name, job.id, exc)
                return

    @staticmethod
    def _decode(job: greenstalk.Job) -> dict:
        try:
            message = json.loads(job.body)
        except ValueError:
            raise BadMessage("message is not JSON") from None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise BadMessage("message is not a JSON object with a string 'type'")
        return message

    def _finish(self, job: greenstalk.Job, verb: str, **kwargs) -> None:
        try:
            with self._client_lock:
                if self._client is None:
                    raise ConnectionError("connection lost")
                getattr(self._client, verb)(job, **kwargs)
        except (OSError, greenstalk.Error) as exc:
            # beanstalkd hands the message out again after its TTR; handlers are idempotent.
            logger.warning("Watcher %s: job=%s could not be %s (%s); beanstalkd will return it",
                           self.name, job.id, {"delete": "deleted", "bury": "buried"}.get(verb, "released"), exc)
