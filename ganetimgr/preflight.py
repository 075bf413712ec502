"""Start-up checks of the services ganetimgr needs, each failure told in one line naming the setting.

manage.py, gunicorn (contrib/gunicorn.conf.py), the watcher and the /health/ page use them.
"""

import contextlib
import os
import sys
from dataclasses import dataclass

__all__ = ["ServiceUnavailable", "ServiceStatus", "check_services", "fail_cleanly", "require_services"]

SERVICES = ("database", "cache", "queue")


class ServiceUnavailable(Exception):
    """A service ganetimgr needs did not answer; str() is the one line to print."""


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    setting: str
    target: str
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    def line(self) -> str:
        if self.ok:
            return f"{self.name}: ok ({self.target})"
        return f"{self.name} at {self.target} did not answer: {self.error} (check {self.setting})"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text.splitlines()[0]


def _database_target(settings_dict: dict) -> str:
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite {settings_dict['NAME']}"
    vendor = settings_dict["ENGINE"].rsplit(".", 1)[-1]
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"{vendor} {settings_dict.get('HOST') or 'localhost'}{port}/{settings_dict['NAME']}"


def _check_database() -> ServiceStatus:
    from django.db import connections

    connection = connections["default"]
    target = _database_target(connection.settings_dict)
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means "not usable"
        return ServiceStatus("database", "DATABASE_URL", target, _first_line(exc))
    return ServiceStatus("database", "DATABASE_URL", target)


def _check_cache() -> ServiceStatus:
    """A write and a read through the cache the site really uses (CACHES, from REDIS_URL by default)."""
    from django.conf import settings
    from django.core.cache import caches

    from ganetimgr.cache import DegradingRedisCache
    from ganetimgr.config import redact_url

    target = redact_url(str(settings.CACHES["default"].get("LOCATION", "")))
    try:
        cache = caches["default"]
        if isinstance(cache, DegradingRedisCache):  # it answers as an empty cache when Redis is away: ask Redis
            cache = super(DegradingRedisCache, cache)
        cache.set("preflight", "ok", 10)
        if cache.get("preflight") != "ok":
            raise RuntimeError("a value written was not read back")
    except Exception as exc:  # redis' errors, or those of whatever backend CACHES names
        return ServiceStatus("cache", "REDIS_URL", target, _first_line(exc))
    return ServiceStatus("cache", "REDIS_URL", target)


def _check_queue() -> ServiceStatus:
    import greenstalk

    from ganetimgr.queue import QueueUnavailable, beanstalk_client, beanstalk_target

    target = beanstalk_target()
    try:
        with beanstalk_client(timeout=2) as client:
            client.stats()
    except (QueueUnavailable, OSError, greenstalk.Error) as exc:
        return ServiceStatus("queue", "BEANSTALK_URL", target, _first_line(exc))
    return ServiceStatus("queue", "BEANSTALK_URL", target)


_CHECKS = {"database": _check_database, "cache": _check_cache, "queue": _check_queue}


def check_services(names=SERVICES) -> list[ServiceStatus]:
    """Probe each named service once and say how it answered."""
    return [_CHECKS[name]() for name in names]


def require_services(names=SERVICES) -> None:
    """Raise ServiceUnavailable (one line per failing service) unless every named service answers."""
    failures = [status.line() for status in check_services(names) if not status.ok]
    if failures:
        raise ServiceUnavailable("; ".join(failures))


@contextlib.contextmanager
def fail_cleanly(program: str = "ganetimgr"):
    """Turn configuration and service errors into one line on stderr and an exit status.

    GANETIMGR_TRACEBACK=1 lets them through with their traceback, for debugging.
    """
    from django.core.exceptions import ImproperlyConfigured
    from django.db.utils import OperationalError

    if os.environ.get("GANETIMGR_TRACEBACK") == "1":
        yield
        return
    try:
        yield
    except ImproperlyConfigured as exc:
        print(f"{program}: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    except ServiceUnavailable as exc:
        print(f"{program}: {exc}", file=sys.stderr)
        sys.exit(1)
    except OperationalError as exc:
        from django.db import connections

        target = _database_target(connections["default"].settings_dict)
        print(f"{program}: database at {target} failed: {_first_line(exc)} (check DATABASE_URL)", file=sys.stderr)
        sys.exit(1)
