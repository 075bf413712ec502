"""Single-use console tokens in Redis, shared by ganetimgr (which writes them) and websockify (which
reads them through the token plugin below). No Django imports: websockify loads this module.

The console view stores `KEY_PREFIX + token` -> `{"host": "<node address>:<port>", ...}` with a lifetime
(CONSOLE_TOKEN_SECONDS); websockify, started as

    websockify --token-plugin ganeti.console_tokens.SingleUseRedis \\
               --token-source redis://127.0.0.1:6379/2 127.0.0.1:6080

takes the token from the WebSocket URL's query (`?token=...`) and reads the key with GETDEL, so a token
opens one connection and is gone: a second connection with it, or one after its lifetime, finds nothing
and websockify closes the socket. The value is websockify's TokenRedis JSON form; unlike TokenRedis,
an IPv6 node address works (`[2001:db8::1]:11000`).
"""

import json
import logging
import secrets

import redis
from websockify.token_plugins import BasePlugin

KEY_PREFIX = "ganetimgr:console:"
logger = logging.getLogger(__name__)


def new_token() -> str:
    return secrets.token_urlsafe(24)


def store(client: redis.Redis, token: str, host: str, port: int, seconds: int, **details) -> None:
    """Writes a token for host:port that lives `seconds`; `details` (cluster, instance, user) go into the
    value for websockify's log."""
    target = "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)
    client.set(KEY_PREFIX + token, json.dumps({"host": target, **details}), ex=max(1, int(seconds)))


def parse_target(value: bytes | str) -> list[str] | None:
    """[host, port] from a stored value, or None when it is not one of ours."""
    try:
        text = value.decode() if isinstance(value, bytes) else value
        target = json.loads(text)["host"] if text.lstrip().startswith("{") else text.strip()
        host, port = target.rsplit(":", 1)
        int(port)
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        return None
    return [host.strip("[]"), port]


class SingleUseRedis(BasePlugin):
    """websockify token plugin: --token-source is a Redis URL (redis://[:password@]host:port/db)."""

    def __init__(self, src):
        super().__init__(src)
        self.client = redis.Redis.from_url(src, socket_timeout=5)

    def lookup(self, token):
        if not token:
            return None
        try:
            value = self.client.getdel(KEY_PREFIX + token)
        except redis.RedisError as error:
            logger.error("console token store unreachable: %s", error)
            return None
        if value is None:
            logger.info("console token refused: unknown, used or expired")
            return None
        target = parse_target(value)
        if target is None:
            logger.error("console token with an unreadable target")
        return target
