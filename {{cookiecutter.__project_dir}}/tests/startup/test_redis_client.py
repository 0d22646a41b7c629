"""REDIS_URL, and the client built from it: a Sentinel URL names its sentinels, service,
database, password and TLS options; a bad one stops the start naming REDIS_URL; and the
Sentinel client fails as fast as the plain one, from a bounded pool that waits briefly."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from redis.connection import SSLConnection
from redis.exceptions import ConnectionError as RedisConnectionError

from {{ cookiecutter.package_name }}.machinery.redis_client import (
    BlockingSentinelPool,
    SentinelMasterSSLConnection,
    build_redis_client,
    parse_sentinel_url,
)
from {{ cookiecutter.package_name }}.machinery.settings import ConfigError, load_settings

from ..support.redis_sentinels import SentinelGroup, sentinel_group


def settings_for(url: str, **more: str):
    return load_settings({"APP_ENV": "testing", "REDIS_URL": url, **more})


def test_a_sentinel_url_names_sentinels_service_database_and_password() -> None:
    target = parse_sentinel_url("redis+sentinel://:s3cret@10.0.0.1:26379,10.0.0.2:26380/sessions/2")
    assert target.sentinels == (("10.0.0.1", 26379), ("10.0.0.2", 26380))
    assert (target.service, target.tls) == ("sessions", False)
    assert dict(target.options) == {"password": "s3cret", "db": 2}


def test_a_tls_sentinel_url_keeps_its_tls_options() -> None:
    target = parse_sentinel_url("rediss+sentinel://[::1]:26379/sessions?ssl_ca_certs=/etc/ca.pem")
    assert target.sentinels == (("::1", 26379),)
    assert target.tls and dict(target.options) == {"db": 0, "ssl_ca_certs": "/etc/ca.pem"}


@pytest.mark.parametrize(
    "url",
    [
        "redis+sentinel://10.0.0.1/sessions",
        "redis+sentinel://10.0.0.1:26379",
        "redis+sentinel://10.0.0.1:26379/sessions/0/extra",
        "redis+sentinel://10.0.0.1:port/sessions",
        "http://10.0.0.1:6379/0",
    ],
)
def test_a_bad_url_is_refused_naming_redis_url(url: str) -> None:
    with pytest.raises(ConfigError, match="REDIS_URL"):
        build_redis_client(settings_for(url))


def test_the_sentinel_client_keeps_the_fail_fast_policy() -> None:
    client = build_redis_client(
        settings_for("redis+sentinel://127.0.0.1:1/sessions", REDIS_MAX_CONNECTIONS="3")
    )
    pool = client.connection_pool
    assert isinstance(pool, BlockingSentinelPool)
    assert (pool.max_connections, pool.timeout) == (3, 0.5)
    options = pool.connection_kwargs
    assert options["socket_timeout"] == options["socket_connect_timeout"] == 0.5
    assert options["retry"].get_retries() == 1


def test_a_tls_sentinel_client_speaks_tls_to_the_master_and_the_sentinels() -> None:
    client = build_redis_client(
        settings_for("rediss+sentinel://127.0.0.1:1/sessions?ssl_ca_certs=/etc/ca.pem")
    )
    pool = client.connection_pool
    assert issubclass(pool.connection_class, SentinelMasterSSLConnection)
    assert pool.connection_kwargs["ssl_ca_certs"] == "/etc/ca.pem"
    for sentinel in pool.sentinel_manager.sentinels:
        sentinel_options = sentinel.connection_pool.connection_kwargs
        assert sentinel_options["ssl_ca_certs"] == "/etc/ca.pem"
        assert issubclass(sentinel.connection_pool.connection_class, SSLConnection)


@pytest.fixture(scope="module")
def group(tmp_path_factory) -> Iterator[SentinelGroup]:
    with sentinel_group(tmp_path_factory.mktemp("sentinels")) as running:
        yield running


def test_a_full_sentinel_pool_waits_briefly_then_refuses(group: SentinelGroup) -> None:
    client = build_redis_client(
        settings_for(group.url, REDIS_MAX_CONNECTIONS="1", REDIS_POOL_TIMEOUT="0.2")
    )
    assert client.ping()
    held = client.connection_pool.get_connection()
    try:
        started = time.monotonic()
        with pytest.raises(RedisConnectionError):
            client.ping()
        assert 0.2 <= time.monotonic() - started < 1.0
    finally:
        client.connection_pool.release(held)
    assert client.ping()


def test_readiness_covers_the_sentinel_master(make_app, group: SentinelGroup) -> None:
    client = make_app(REDIS_URL=group.url).test_client()
    assert client.get("/readyz").get_json()["checks"] == {"database": "ok", "redis": "ok"}
