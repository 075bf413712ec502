"""Reading ganetimgr's settings from the environment.

Every parser raises ConfigError naming the variable to fix, so that manage.py, gunicorn and the
watcher can print one line instead of a traceback.
"""

import contextlib
import os
import re
import secrets
import zoneinfo
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

__all__ = [
    "ConfigError",
    "env_str",
    "env_bool",
    "env_int",
    "env_list",
    "env_addresses",
    "database_from_url",
    "redis_url",
    "beanstalk_address",
    "redact_url",
    "env_choice",
    "env_time_zone",
    "beanstalk_tube",
    "secret_key_from_file",
    "require_filled_in",
]

# The mark settings.py.dist puts on every value an operator must fill in.
PLACEHOLDER = "FILL-IN"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(ImproperlyConfigured):
    """A setting read from the environment is missing or malformed; the message names it."""


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean: use one of on/off, true/false, yes/no, 1/0")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name}={raw!r} must be at least {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated list; empty items are dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_addresses(name: str, default: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """ADMINS/MANAGERS style list: 'Name <mail@example.org>, other@example.org'."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    result = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        if "<" in item and item.endswith(">"):
            person, _, mail = item[:-1].partition("<")
            person, mail = person.strip(), mail.strip()
        else:
            person, mail = "", item
        if "@" not in mail or " " in mail:
            raise ConfigError(f"{name}: {item!r} is not an e-mail address (write 'Name <mail@example.org>')")
        result.append((person or mail, mail))
    return result


def redact_url(url: str) -> str:
    """The URL with its password replaced by '***', for messages and logs."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return parts._replace(netloc=netloc).geturl()
    except ValueError:
        return "<unparsable URL>"


_DB_ENGINES = {
    "sqlite": "django.db.backends.sqlite3",
    "postgres": "django.db.backends.postgresql",
    "postgresql": "django.db.backends.postgresql",
    "pgsql": "django.db.backends.postgresql",
    "mysql": "django.db.backends.mysql",
    "mariadb": "django.db.backends.mysql",
}


def database_from_url(url: str, *, setting: str = "DATABASE_URL", pool_size: int = 0) -> dict:
    """Django DATABASES entry for a sqlite://, postgres:// or mysql:// URL, with our connection options.

    pool_size (PostgreSQL only): each process keeps up to that many connections open and a request (or a
    watcher's message) borrows one for its duration, instead of opening its own (about 10 ms on loopback, a
    TLS handshake more across hosts). When all are borrowed the next waits, up to 30 s (below nginx's 75 s)."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in _DB_ENGINES:
        raise ConfigError(
            f"{setting}={redact_url(url)!r} is not a database URL: use sqlite:///PATH, "
            "postgres://USER:PASSWORD@HOST:PORT/NAME or mysql://USER:PASSWORD@HOST:PORT/NAME"
        )
    if scheme == "mariadb":
        url = "mysql" + url[len("mariadb"):]
    try:
        config = dj_database_url.parse(url, conn_max_age=0, conn_health_checks=True)
    except (ValueError, KeyError) as exc:
        raise ConfigError(f"{setting}={redact_url(url)!r} is malformed: {exc}") from None
    engine = _DB_ENGINES[scheme]
    config["ENGINE"] = engine
    if engine == "django.db.backends.sqlite3":
        if not config.get("NAME") or config["NAME"] == ":memory:":
            raise ConfigError(f"{setting}={url!r} names no file: use sqlite:////absolute/path.sqlite3")
        # WAL and immediate transactions let gunicorn workers and the watcher share one file.
        config["OPTIONS"] = {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    else:
        if not config.get("NAME") or not config.get("HOST"):
            raise ConfigError(f"{setting}={redact_url(url)!r} needs a host and a database name")
        if engine == "django.db.backends.postgresql":
            config.setdefault("OPTIONS", {})["connect_timeout"] = 5
            if pool_size:
                config["OPTIONS"]["pool"] = {"min_size": 1, "max_size": pool_size, "timeout": 30}
        else:
            config.setdefault("OPTIONS", {}).update(
                {
                    "charset": "utf8mb4",
                    "connect_timeout": 5,
                    "init_command": "SET sql_mode='STRICT_TRANS_TABLES'",
                }
            )
    return config


def redis_url(name: str, default: str) -> str:
    url = os.environ.get(name, default)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ConfigError(f"{name}={redact_url(url)!r} is malformed: {exc}") from None
    if parts.scheme not in {"redis", "rediss", "unix"} or (parts.scheme != "unix" and not parts.hostname):
        raise ConfigError(
            f"{name}={redact_url(url)!r} is not a Redis URL: use redis://HOST:PORT/DB "
            "(rediss:// for TLS, unix:///path/to/socket)"
        )
    return url


def beanstalk_address(name: str, default: str) -> tuple[str, int]:
    """BEANSTALK_URL as (host, port); accepts 'host:port' and 'beanstalk://host:port'."""
    raw = os.environ.get(name, default).strip()
    value = raw.split("://", 1)[1] if "://" in raw else raw
    value = value.rstrip("/")
    host, sep, port = value.rpartition(":")
    if not sep:
        host, port = value, "11300"
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{name}={raw!r} is not a beanstalkd address: use HOST:PORT, e.g. 127.0.0.1:11300")
    return host, int(port)


def env_choice(name: str, default: str, choices: list[str], *, upper: bool = False) -> str:
    value = os.environ.get(name, default)
    if upper:
        value = value.upper()
    if value not in choices:
        raise ConfigError(f"{name}={value!r} is not one of {', '.join(choices)}")
    return value


def env_time_zone(name: str, default: str) -> str:
    value = os.environ.get(name, default)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name}={value!r} is not a time zone name such as UTC or Europe/Athens") from None
    return value


# beanstalkd's tube names: letters, digits and -+/;.$_() , not starting with '-', at most 200 bytes.
_TUBE_NAME = re.compile(r"^[A-Za-z0-9+/;.$_()][A-Za-z0-9+/;.$_()-]{0,199}$")


def beanstalk_tube(name: str, default: str) -> str:
    value = os.environ.get(name, default)
    if not _TUBE_NAME.match(value):
        raise ConfigError(f"{name}={value!r} is not a beanstalkd tube name (letters, digits, - + / ; . $ _ ( ))")
    return value


def secret_key_from_file(path: Path) -> str:
    """The key kept in path; made there (mode 0600) on first use, atomically, so processes agree on it."""
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        key = None
    except OSError as exc:
        raise ConfigError(f"SECRET_KEY is not set and SECRET_KEY_FILE={path} cannot be read: {exc}") from None
    if key:
        return key
    if key == "":
        raise ConfigError(f"SECRET_KEY is not set and SECRET_KEY_FILE={path} is empty")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
        try:
            with contextlib.suppress(FileExistsError):  # another process made it first: theirs counts
                os.link(draft, path)
        finally:
            draft.unlink()
        return path.read_text().strip()
    except OSError as exc:
        raise ConfigError(f"SECRET_KEY is not set and SECRET_KEY_FILE={path} cannot be written: {exc}") from None


def require_filled_in(namespace: dict) -> None:
    """Refuse settings whose value still holds the PLACEHOLDER mark of settings.py.dist."""

    def holds(value) -> bool:
        if isinstance(value, str):
            return PLACEHOLDER in value
        if isinstance(value, dict):
            return any(holds(v) for v in value.values())
        if isinstance(value, (list, tuple)):
            return any(holds(v) for v in value)
        return False

    unfilled = sorted(name for name, value in namespace.items() if name.isupper() and holds(value))
    if unfilled:
        raise ConfigError(f"replace the {PLACEHOLDER} values in your local settings: {', '.join(unfilled)}")
