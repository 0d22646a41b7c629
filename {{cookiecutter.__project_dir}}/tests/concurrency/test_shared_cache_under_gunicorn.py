"""The shared cache under the real server: two instances of two workers each share one Redis.

Every computation of the top list takes TEST_CACHE_FILL_SECONDS longer here
(tests/support/cache_variants.py), so that concurrent requests overlap inside it. Each
property is run against the real cache and fails on its broken variant: a plain memoize
(every request that misses computes), a cache whose writes delete its one key (a slow
reader stores the old value after the delete), and dogpile's own region (a value served
a computation past its bound, and after an idle spell long past it).
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime

import pytest
import requests
from redis import Redis
from sqlalchemy import create_engine, update

from {{ cookiecutter.package_name }}.models import Counter

from ..support.cache_variants import cache_fills as fills
from ..support.live_server import WITHOUT_QUEUE_BUDGET, LiveServer, many_at_once, start

CLIENTS = 50
FILL_SECONDS = 0.5
# Longer than any test here takes to make its reads: one computation per test, no expiry.
TTL_SECONDS = 10
SHARED, PLAIN_MEMOIZE, DELETE_ON_WRITE = "shared", "plain-memoize", "delete-on-write"
STOCK_DOGPILE = "stock-dogpile"


def top(live: LiveServer) -> dict:
    response = requests.get(live.url("/api/counters/top?limit=50"), timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def names(body: dict) -> list[str]:
    return [counter["name"] for counter in body["counters"]]


@pytest.fixture(scope="module")
def instances(live_settings: dict) -> Iterator[dict[str, tuple[LiveServer, ...]]]:
    """Two instances of the real cache, two of the plain memoize, one of delete-on-write."""
    counts = {SHARED: 2, PLAIN_MEMOIZE: 2, DELETE_ON_WRITE: 1}
    with contextlib.ExitStack() as stack:
        running = {
            variant: tuple(
                stack.enter_context(
                    start(
                        live_settings,
                        f"cache-{variant}-{number}",
                        TEST_CACHE_VARIANT=variant,
                        TEST_CACHE_FILL_SECONDS=str(FILL_SECONDS),
                        TOP_COUNTERS_TTL_SECONDS=str(TTL_SECONDS),
                        # 50 reads of 0.5 s at once on 16 threads wait past the budget.
                        **WITHOUT_QUEUE_BUDGET,
                    )
                )
                for number in range(count)
            )
            for variant, count in counts.items()
        }
        yield running
    for servers in running.values():
        for live in servers:
            live.assert_clean_log()


@pytest.fixture
def cold(live_settings: dict, redis_client: Redis) -> None:
    """Nothing cached for any variant: a new generation, and the other variants' keys gone."""
    prefix = f"{live_settings['key_prefix']}cache:top_counters"
    redis_client.incr(f"{prefix}:generation")
    redis_client.delete(f"{prefix}:plain", f"{prefix}:only")


@pytest.fixture
def leader(live_settings: dict) -> str:
    """A counter of this test's own, at the head of the top list."""
    name = f"lead-{uuid.uuid4().hex[:12]}"
    engine = create_engine(live_settings["database_url"])
    try:
        with engine.begin() as connection:
            connection.execute(Counter.__table__.insert().values(name=name, value=1))
            connection.execute(
                update(Counter)
                .where(Counter.name == name)
                .values(value=time.time_ns() // 1000 * 1000)
            )
    finally:
        engine.dispose()
    return name


@pytest.mark.parametrize("variant", [SHARED, PLAIN_MEMOIZE])
@pytest.mark.usefixtures("cold")
def test_fifty_reads_of_a_cold_key_across_two_instances_make_one_computation(
    instances: dict, variant: str
) -> None:
    servers = instances[variant]
    before = sum(fills(live) for live in servers)

    def read(number: int) -> str:
        return top(servers[number % len(servers)])["computed_at"]

    answers = many_at_once(read, CLIENTS)
    computations = sum(fills(live) for live in servers) - before
    if variant == SHARED:
        assert computations == 1
        assert len(set(answers)) == 1
    else:  # every request that found nothing computed
        assert computations > 1, computations
        assert len(set(answers)) == computations


@pytest.mark.parametrize("variant", [SHARED, DELETE_ON_WRITE])
@pytest.mark.usefixtures("cold")
def test_a_slow_reader_racing_a_delete_never_leaves_the_old_list(
    instances: dict, variant: str, leader: str
) -> None:
    """The reader reads the table (the counter is there), then takes FILL_SECONDS more;
    meanwhile the counter is deleted. Once the DELETE is answered, no read lists it."""
    reader_server, writer_server = instances[variant][0], instances[variant][-1]
    slow_read: dict = {}
    reader = threading.Thread(target=lambda: slow_read.update(top(reader_server)))
    reader.start()
    time.sleep(FILL_SECONDS / 3)  # the reader has read the table
    deleted = requests.delete(writer_server.url(f"/api/counters/{leader}"), timeout=10)
    assert deleted.status_code == 204
    reader.join()
    assert leader in names(slow_read)  # it read before the delete, and stored after it

    after = [names(top(live)) for live in instances[variant]]
    if variant == SHARED:
        assert all(leader not in listed for listed in after)
    else:
        assert any(leader in listed for listed in after)


@pytest.mark.parametrize("variant", [SHARED, STOCK_DOGPILE])
@pytest.mark.usefixtures("cold")
def test_a_value_is_never_served_older_than_its_ttl_and_one_computation(
    live_settings: dict, variant: str
) -> None:
    """Readers read without pause for a few expiries, then again all at once after an idle
    spell; each answer is measured on arrival against when its data was read. dogpile's
    own region serves a value a computation older while reading without pause (it dates a
    value from when it was stored), and after the idle spell serves the old value again."""
    ttl, fill = 1.0, 0.8
    # The request's own time and a loaded machine's scheduling; the broken variant's
    # excess is a computation (0.8 s) and, after the idle spell, seconds.
    slack = 0.5
    bound = ttl + fill + slack
    reads = []
    with start(
        live_settings,
        f"cache-staleness-{variant}",
        TEST_CACHE_VARIANT=variant,
        TEST_CACHE_FILL_SECONDS=str(fill),
        TOP_COUNTERS_TTL_SECONDS=str(ttl),
    ) as live:
        reading_for = 4 * ttl + 2 * fill

        def read(http: requests.Session) -> None:
            response = http.get(live.url("/api/counters/top"), timeout=30)
            assert response.status_code == 200, response.text
            read_at = datetime.fromisoformat(response.json()["computed_at"])
            reads.append(time.time() - read_at.timestamp())

        def reader(_: int) -> None:
            deadline = time.monotonic() + reading_for
            with requests.Session() as http:
                while time.monotonic() < deadline:
                    read(http)

        many_at_once(reader, 4)
        computations = fills(live)
        time.sleep(2 * ttl + fill)  # idle, within the key's life in Redis
        many_at_once(lambda _: read(requests.Session()), 4)
    # About one computation per expiry, never one per request.
    assert 2 <= computations <= reading_for / ttl + 2, computations
    if variant == SHARED:
        assert max(reads) <= bound, max(reads)
    else:
        assert max(reads) > bound, max(reads)
