"""The cache backend: Django's RedisCache, except that Redis being away degrades instead of failing.

Everything kept in Redis can be had again: cluster snapshots are fetched from the clusters, sessions are
read from the database (cached_db), locks and markers are advisory. So while Redis does not answer, reads
miss, writes are dropped, and `add` (the single-flight locks, "seen once" markers) answers True so that
the work is done rather than skipped; pages are slower but answer, and a banner says why
(ganetimgr.context_processors.site). The outage is logged once, and its end once.
"""

import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

__all__ = ["DegradingRedisCache", "unavailable_since"]

log = logging.getLogger(__name__)

_UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
# When this process last found Redis away (time.time()), None while it answers.
_state = {"unavailable_since": None}


def unavailable_since() -> float | None:
    """When this process found the cache away, or None if its last command succeeded."""
    return _state["unavailable_since"]


def _failed(exc: Exception) -> None:
    if _state["unavailable_since"] is None:
        _state["unavailable_since"] = time.time()
        log.warning("cache (Redis) unreachable, serving without it: %s", exc)


def _answered() -> None:
    if _state["unavailable_since"] is not None:
        log.info("cache (Redis) answers again after %.0f s", time.time() - _state["unavailable_since"])
        _state["unavailable_since"] = None


def _degrading(method, fallback):
    def call(self, *args, **kwargs):
        try:
            answer = method(self, *args, **kwargs)
        except _UNREACHABLE as exc:
            _failed(exc)
            return fallback(*args, **kwargs) if callable(fallback) else fallback
        _answered()
        return answer

    call.__name__, call.__doc__ = method.__name__, method.__doc__
    return call


class DegradingRedisCache(RedisCache):
    """RedisCache whose commands, when Redis cannot be reached, answer as an empty cache that keeps
    nothing (add: True, the caller goes ahead)."""

    get = _degrading(RedisCache.get, lambda key, default=None, version=None: default)
    get_many = _degrading(RedisCache.get_many, lambda keys, version=None: {})
    has_key = _degrading(RedisCache.has_key, False)
    set = _degrading(RedisCache.set, None)
    set_many = _degrading(RedisCache.set_many, lambda data, *args, **kwargs: list(data))
    add = _degrading(RedisCache.add, True)
    touch = _degrading(RedisCache.touch, False)
    delete = _degrading(RedisCache.delete, False)
    delete_many = _degrading(RedisCache.delete_many, None)
    clear = _degrading(RedisCache.clear, False)
