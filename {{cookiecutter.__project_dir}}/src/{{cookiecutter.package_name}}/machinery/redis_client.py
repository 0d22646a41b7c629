"""The Redis client the sessions use, built from REDIS_URL with one policy: fail fast.

An outage must become a 503 within a second. redis-py's defaults (5 s timeouts, 10 retries
with backoff) would hold a request for seconds, and its default pool raises at once past
its size instead of waiting. So: short socket and connect timeouts (the connect timeout
would otherwise stay at 5 s), a bounded pool where a request waits briefly for a connection,
and one retry, only of a refused or reset connection: that is a pooled connection Redis
dropped on restart, and a fresh one succeeds. A timeout is not retried, and there is no
health check PING, since each would add another full timeout while Redis hangs (measured:
2.1 s with both, at a 0.5 s timeout).

REDIS_URL is redis://, rediss:// (TLS; ?ssl_ca_certs=/path/ca.pem to trust a private CA) or
unix://, or names a Sentinel group whose master may fail over:
redis+sentinel://[:password@]host:port[,host:port...]/service_name[/db], or
rediss+sentinel:// for TLS to the sentinels and the master alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from redis import BlockingConnectionPool, Redis
from redis.backoff import ExponentialBackoff
from redis.connection import SSLConnection, parse_url
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.retry import Retry
from redis.sentinel import Sentinel, SentinelConnectionPool, SentinelManagedConnection

from .settings import ConfigError, Settings

SENTINEL_SCHEMES = ("redis+sentinel", "rediss+sentinel")


@dataclass(frozen=True)
class SentinelTarget:
    sentinels: tuple[tuple[str, int], ...]
    service: str
    tls: bool
    options: tuple[tuple[str, Any], ...]  # password, db, ssl_* ...: what parse_url reads


class BlockingSentinelPool(SentinelConnectionPool, BlockingConnectionPool):
    """The Sentinel pool (it asks the sentinels where the master is) with the blocking
    pool's bounded wait for a free connection. redis-py has none (a pull request adding
    one is still open): its Sentinel pool raises at once when full, as its plain one does."""


class SentinelMasterConnection(SentinelManagedConnection):
    """Closes itself when a reply does not come, as redis-py's plain connection does. Its
    Sentinel connection does not (disconnect_on_error defaults to False there), so after a
    timeout it went back to the pool with the reply still on its way, and the next request
    read that reply as its own: one user's session in another's answer (seen in the freeze
    test, where the frozen master answered as it woke)."""

    def read_response(self, *args: Any, disconnect_on_error: bool = True, **kwargs: Any) -> Any:
        return super().read_response(*args, disconnect_on_error=disconnect_on_error, **kwargs)


class SentinelMasterSSLConnection(SentinelMasterConnection, SSLConnection):
    pass


def _fail_fast(settings: Settings) -> dict[str, Any]:
    return {
        "socket_timeout": settings.redis_socket_timeout,
        "socket_connect_timeout": settings.redis_socket_timeout,
        "retry": Retry(
            ExponentialBackoff(cap=0.05, base=0.01),
            retries=1,
            supported_errors=(RedisConnectionError,),
        ),
    }


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.strip().rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"REDIS_URL: sentinel addresses are host:port, got {text!r}")
    return host.strip("[]"), int(port)


def parse_sentinel_url(url: str) -> SentinelTarget:
    scheme, _, rest = url.partition("://")
    location, _, query = rest.partition("?")
    netloc, _, path = location.partition("/")
    auth, _, hosts = netloc.rpartition("@")
    names = [unquote(part) for part in path.split("/") if part]
    if not hosts or not 1 <= len(names) <= 2:
        raise ConfigError(
            "REDIS_URL: a sentinel URL is "
            f"{scheme}://[:password@]host:port[,host:port...]/service_name[/db], got {url!r}"
        )
    tls = scheme == "rediss+sentinel"
    # The password, the database and the TLS options, read as redis-py reads any URL.
    plain = f"{'rediss' if tls else 'redis'}://{auth + '@' if auth else ''}sentinel"
    options = parse_url(f"{plain}/{names[1] if len(names) == 2 else 0}?{query}")
    for taken in ("host", "port", "connection_class"):
        options.pop(taken, None)
    addresses = tuple(_address(part) for part in hosts.split(","))
    return SentinelTarget(addresses, names[0], tls, tuple(sorted(options.items())))


def _sentinel_master(target: SentinelTarget, settings: Settings) -> Redis:
    fail_fast = _fail_fast(settings)
    tls = {name: value for name, value in target.options if name.startswith("ssl")}
    if target.tls:
        tls["ssl"] = True
    sentinel = Sentinel(
        list(target.sentinels),
        sentinel_kwargs={
            "socket_timeout": fail_fast["socket_timeout"],
            "socket_connect_timeout": fail_fast["socket_connect_timeout"],
            **tls,
        },
    )
    return sentinel.master_for(
        target.service,
        connection_pool_class=BlockingSentinelPool,
        max_connections=settings.redis_max_connections,
        timeout=settings.redis_pool_timeout,
        connection_class=SentinelMasterSSLConnection if target.tls else SentinelMasterConnection,
        **fail_fast,
        **dict(target.options),
    )


def build_redis_client(settings: Settings) -> Redis:
    url = settings.redis_url or ""
    if url.partition("://")[0] in SENTINEL_SCHEMES:
        return _sentinel_master(parse_sentinel_url(url), settings)
    try:
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=settings.redis_max_connections,
            timeout=settings.redis_pool_timeout,
            **_fail_fast(settings),
        )
    except ValueError as error:
        raise ConfigError(f"REDIS_URL: {error}") from None
    return Redis(connection_pool=pool)
