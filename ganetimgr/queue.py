"""The beanstalkd queue between the web tier and the watcher (greenstalk).

Messages are small JSON objects with a "type" (DESIGN.md §4). Views put them with enqueue(), from
transaction.on_commit so that the watcher never sees a row that is not committed yet.
"""

import json
import socket

import greenstalk
from django.conf import settings

__all__ = ["QueueUnavailable", "beanstalk_client", "beanstalk_target", "enqueue", "MESSAGE_TTR"]

# Seconds the watcher may hold a message before beanstalkd hands it to another watcher.
MESSAGE_TTR = 600


class QueueUnavailable(Exception):
    """beanstalkd could not be reached or refused the command."""


def beanstalk_target() -> str:
    host, port = settings.BEANSTALK_ADDRESS
    return f"{host}:{port} tube {settings.BEANSTALK_TUBE}"


def beanstalk_client(*, timeout: float | None = 5) -> greenstalk.Client:
    """A client that uses and watches BEANSTALK_TUBE (and only it); raises QueueUnavailable.

    `timeout` bounds the connect and every read, so a dead server cannot hang the caller; a
    watcher that blocks in reserve(n) needs a timeout above n.
    """
    tube = settings.BEANSTALK_TUBE
    try:
        # greenstalk would connect without a timeout; hand it a socket connected with one.
        sock = socket.create_connection(settings.BEANSTALK_ADDRESS, timeout=timeout)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return greenstalk.Client(sock, use=tube, watch=tube)
    except (OSError, greenstalk.Error) as exc:
        raise QueueUnavailable(str(exc) or exc.__class__.__name__) from exc


def enqueue(message: dict, *, ttr: int = MESSAGE_TTR) -> int:
    """Put one JSON message on the tube and return its beanstalkd job id."""
    if not isinstance(message.get("type"), str):
        raise ValueError("a queue message needs a 'type'")
    body = json.dumps(message, separators=(",", ":"), sort_keys=True)
    try:
        with beanstalk_client() as client:
            return client.put(body, ttr=ttr)
    except (OSError, greenstalk.Error) as exc:
        raise QueueUnavailable(str(exc) or exc.__class__.__name__) from exc
