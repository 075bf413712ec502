"""Parsing of the environment into settings: every malformed value names its variable."""

import pytest

from ganetimgr.config import (
    ConfigError,
    beanstalk_address,
    database_from_url,
    env_addresses,
    env_bool,
    env_int,
    redact_url,
    redis_url,
)


@pytest.mark.parametrize(
    "url, engine, name, host, port",
    [
        ("sqlite:////srv/ganetimgr/db.sqlite3", "django.db.backends.sqlite3", "/srv/ganetimgr/db.sqlite3", "", ""),
        ("postgres://gm:pw@db.example.org:5433/gm", "django.db.backends.postgresql", "gm", "db.example.org", 5433),
        ("postgresql://gm:pw@db.example.org/gm", "django.db.backends.postgresql", "gm", "db.example.org", ""),
        ("mysql://gm:pw@127.0.0.1:3306/gm", "django.db.backends.mysql", "gm", "127.0.0.1", 3306),
        ("mariadb://gm:pw@127.0.0.1/gm", "django.db.backends.mysql", "gm", "127.0.0.1", ""),
    ],
)
def test_database_urls_of_each_engine(url, engine, name, host, port):
    config = database_from_url(url)
    assert (config["ENGINE"], config["NAME"], config["HOST"], config["PORT"]) == (engine, name, host, port)


def test_postgres_and_mysql_get_connect_timeouts_and_utf8mb4():
    assert database_from_url("postgres://u:p@h/d")["OPTIONS"]["connect_timeout"] == 5
    mysql = database_from_url("mysql://u:p@h/d")["OPTIONS"]
    assert mysql["charset"] == "utf8mb4" and "STRICT_TRANS_TABLES" in mysql["init_command"]


def test_sqlite_is_set_up_for_several_processes():
    options = database_from_url("sqlite:////tmp/x.sqlite3")["OPTIONS"]
    assert "journal_mode=WAL" in options["init_command"] and options["transaction_mode"] == "IMMEDIATE"


@pytest.mark.parametrize(
    "url, expected",
    [
        ("oracle://u:p@h/d", "is not a database URL"),
        ("/var/lib/db.sqlite3", "is not a database URL"),
        ("postgres://u:secret@h:notaport/d", "is malformed"),
        ("postgres://u:p@/d", "needs a host and a database name"),
        ("mysql://u:p@h", "needs a host and a database name"),
        ("sqlite://", "names no file"),
    ],
)
def test_bad_database_urls_name_the_variable(url, expected):
    with pytest.raises(ConfigError) as error:
        database_from_url(url)
    assert "DATABASE_URL" in str(error.value) and expected in str(error.value)


def test_database_url_errors_hide_the_password():
    with pytest.raises(ConfigError) as error:
        database_from_url("oracle://user:hunter2@h/d")
    assert "hunter2" not in str(error.value) and "***" in str(error.value)


@pytest.mark.parametrize("value", ["redis://127.0.0.1:6379/0", "rediss://cache.example.org:6380/1",
                                   "unix:///run/redis/redis.sock"])
def test_redis_urls_accepted(monkeypatch, value):
    monkeypatch.setenv("REDIS_URL", value)
    assert redis_url("REDIS_URL", "x") == value


@pytest.mark.parametrize("value", ["127.0.0.1:6379", "http://cache:6379", "redis://host:port/0", "redis://"])
def test_bad_redis_urls_name_the_variable(monkeypatch, value):
    monkeypatch.setenv("REDIS_URL", value)
    with pytest.raises(ConfigError, match="REDIS_URL"):
        redis_url("REDIS_URL", "x")


@pytest.mark.parametrize(
    "value, expected",
    [("127.0.0.1:11300", ("127.0.0.1", 11300)), ("beanstalk://queue.example.org:11301", ("queue.example.org", 11301)),
     ("queue", ("queue", 11300)), ("[::1]:11300", ("::1", 11300))],
)
def test_beanstalk_addresses(monkeypatch, value, expected):
    monkeypatch.setenv("BEANSTALK_URL", value)
    assert beanstalk_address("BEANSTALK_URL", "x") == expected


@pytest.mark.parametrize("value", ["127.0.0.1:abc", ":11300", "host:0", "host:70000"])
def test_bad_beanstalk_addresses(monkeypatch, value):
    monkeypatch.setenv("BEANSTALK_URL", value)
    with pytest.raises(ConfigError, match="BEANSTALK_URL"):
        beanstalk_address("BEANSTALK_URL", "x")


def test_booleans_integers_and_addresses(monkeypatch):
    monkeypatch.setenv("FLAG", "Off")
    monkeypatch.setenv("NUMBER", "12")
    monkeypatch.setenv("ADMINS", "Ops Team <ops@example.org>, noc@example.org")
    assert env_bool("FLAG", True) is False
    assert env_int("NUMBER", 1) == 12
    assert env_addresses("ADMINS", []) == [("Ops Team", "ops@example.org"), ("noc@example.org", "noc@example.org")]
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ConfigError, match="FLAG='maybe' is not a boolean"):
        env_bool("FLAG", True)
    monkeypatch.setenv("NUMBER", "ten")
    with pytest.raises(ConfigError, match="NUMBER='ten' is not a whole number"):
        env_int("NUMBER", 1)
    monkeypatch.setenv("ADMINS", "Ops Team")
    with pytest.raises(ConfigError, match="ADMINS"):
        env_addresses("ADMINS", [])


def test_redact_url():
    assert redact_url("postgres://u:pw@h/d") == "postgres://u:***@h/d"
    assert redact_url("redis://h:6379/0") == "redis://h:6379/0"
