"""The cache is optional, sessions are not: with its Redis stopped or hung, the cached read
is computed from the database and answered 200 (one log line per worker for the outage),
session routes answer 503, and the cache is shared again once Redis is back. The broken
variant, a cache the read cannot do without, answers 503 instead."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

from ..support.cache_variants import cache_fills as fills
from ..support.common import SESSION_COOKIE
from ..support.live_server import LiveServer, start
from ..support.redis_process import RedisProcess, dedicated_redis

READS = 20
WORKERS = 2
OUTAGE_LINE = "shared cache: Redis is unreachable"
BACK_LINE = "shared cache: Redis is back"


@dataclass
class Servers:
    redis: RedisProcess
    optional: LiveServer
    required: LiveServer


@pytest.fixture(scope="module")
def servers(live_settings: dict, tmp_path_factory) -> Iterator[Servers]:
    with dedicated_redis(tmp_path_factory.mktemp("cache-outage"), name="cache-outage") as redis:
        settings = {**live_settings, "redis_url": redis.url}
        with (
            start(settings, "cache-optional") as optional,
            start(settings, "cache-required", TEST_CACHE_VARIANT="required") as required,
        ):
            yield Servers(redis, optional, required)
    for live in (optional, required):
        assert [r for r in live.records() if "exception" in r] == [], live.log()


def timed_read(live: LiveServer) -> tuple[int, float]:
    started = time.monotonic()
    response = requests.get(live.url("/api/counters/top"), timeout=10)
    assert response.headers["Content-Type"] == "application/json", response.text
    return response.status_code, time.monotonic() - started


def lines(live: LiveServer, text: str) -> int:
    return sum(1 for record in live.records() if record["message"].startswith(text))


def test_a_stopped_redis_leaves_the_read_at_200_and_sessions_at_503(servers: Servers) -> None:
    assert timed_read(servers.optional)[0] == 200
    servers.redis.stop()
    try:
        optional = [timed_read(servers.optional) for _ in range(READS)]
        required = [timed_read(servers.required)[0] for _ in range(READS)]
        session = requests.get(
            servers.optional.url("/api/session"),
            cookies={SESSION_COOKIE: "an-existing-session"},
            timeout=10,
        )
    finally:
        servers.redis.start()
    assert [status for status, _ in optional] == [200] * READS
    assert max(seconds for _, seconds in optional) < 1.0
    assert 1 <= lines(servers.optional, OUTAGE_LINE) <= WORKERS
    assert session.status_code == 503
    assert required == [503] * READS  # the broken variant

    # Back: within the pause between tries, every worker shares the cache again.
    time.sleep(1.5)
    for _ in range(2 * WORKERS):
        assert timed_read(servers.optional)[0] == 200
    before = fills(servers.optional)
    for _ in range(READS):
        assert timed_read(servers.optional)[0] == 200
    assert fills(servers.optional) - before <= 1
    assert 1 <= lines(servers.optional, BACK_LINE) <= WORKERS


def test_a_hung_redis_holds_a_read_no_longer_than_one_timeout(servers: Servers) -> None:
    with servers.redis.paused():
        optional = [timed_read(servers.optional) for _ in range(READS)]
    assert [status for status, _ in optional] == [200] * READS
    # One try per worker per second waits for the 0.5 s timeout; the others do not try.
    slow = [seconds for _, seconds in optional if seconds > 0.4]
    assert max(seconds for _, seconds in optional) < 1.0
    assert len(slow) <= WORKERS * 2, slow
