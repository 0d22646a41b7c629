"""Database round trips are part of the contract too, counted from what the real gunicorn's
workers send PostgreSQL through a proxy (postgres_messages.py). Incrementing or reading a
counter is one round trip: its one statement runs in autocommit, without a BEGIN and a
COMMIT or ROLLBACK, and no SELECT 1 tests the pooled connection first (stale_connections.py
replaces pool_pre_ping). Accounts too: a login's SELECT of the password hash, done before
the hash is checked, and a signup's INSERT are one each. Routes that need no database send
nothing."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import requests
from sqlalchemy.engine import make_url

from ..support.common import TEST_PASSWORD
from ..support.live_server import LiveServer, start
from ..support.postgres_messages import RoundTrips
from ..support.tcp_proxy import proxy_to

COUNTER = "/api/counters/round-trips"
LOGIN = "/api/session/login"
ACCOUNT = {"username": "user1", "password": TEST_PASSWORD}
# Not a request's cost: a worker's first request opens its pool's connection (a handshake,
# the dialect's first queries), and psycopg prepares a statement on its fifth run on a
# connection (two round trips, once). One worker, so that the warm-up warms the worker that
# is measured; requests one at a time, so that its pool keeps one connection.
WARM_UP_REQUESTS = 10
# Flask tears a request down (returning its connection) as gunicorn closes the answer,
# which can be after the client has it.
SETTLE_SECONDS = 0.3


class CountedDatabase:
    def __init__(self, live: LiveServer, round_trips: RoundTrips) -> None:
        self.live = live
        self.round_trips = round_trips
        self.http = requests.Session()

    def request(self, method: str, path: str, **options) -> None:
        response = self.http.request(method, self.live.url(path), timeout=10, **options)
        assert response.status_code < 300, response.text

    def warm_up(self, method: str, path: str, **options) -> None:
        for _ in range(WARM_UP_REQUESTS):
            self.request(method, path, **options)

    def round_trips_of(self, method: str, path: str, **options) -> int:
        time.sleep(SETTLE_SECONDS)
        before = self.round_trips.count()
        self.request(method, path, **options)
        time.sleep(SETTLE_SECONDS)
        return self.round_trips.count() - before


@pytest.fixture(scope="module")
def service(live_settings) -> Iterator[CountedDatabase]:
    round_trips = RoundTrips()
    url = make_url(live_settings["database_url"])
    with proxy_to(url.host or "127.0.0.1", url.port or 5432, round_trips) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port)
        settings = {**live_settings, "database_url": proxied.render_as_string(False)}
        with start(settings, "database-round-trips", app=None, WEB_CONCURRENCY="1") as live:
            counted = CountedDatabase(live, round_trips)
            counted.warm_up("POST", COUNTER)
            counted.warm_up("GET", COUNTER)
            # The account (409: another test of the run signed it up), then its logins warmed up.
            signed_up = counted.http.post(live.url("/api/accounts"), json=ACCOUNT, timeout=10)
            assert signed_up.status_code in (201, 409), signed_up.text
            counted.warm_up("POST", LOGIN, json=ACCOUNT)
            # New accounts' signups warmed up too (a name taken would be a 409).
            for _ in range(WARM_UP_REQUESTS):
                counted.request("POST", "/api/accounts", json=new_account())
            # Its requests are user1's from here on: the session routes below need a login.
            yield counted


def new_account() -> dict[str, str]:
    return {"username": f"new-{uuid.uuid4().hex[:12]}", "password": TEST_PASSWORD}


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_incrementing_or_reading_a_counter_is_one_round_trip(
    service: CountedDatabase, method: str
) -> None:
    assert [service.round_trips_of(method, COUNTER) for _ in range(3)] == [1, 1, 1]


def test_logging_in_is_one_round_trip(service: CountedDatabase) -> None:
    # The SELECT of the account's password hash, in autocommit: no BEGIN, no ROLLBACK, and the
    # connection back in the pool before the password is checked (accounts.py). Hashes of
    # today's parameters: no UPDATE.
    assert [service.round_trips_of("POST", LOGIN, json=ACCOUNT) for _ in range(3)] == [1, 1, 1]


def test_signing_up_is_one_round_trip(service: CountedDatabase) -> None:
    # The INSERT of the account, in autocommit, once its password is hashed (accounts.py).
    measured = [
        service.round_trips_of("POST", "/api/accounts", json=new_account()) for _ in range(3)
    ]
    assert measured == [1, 1, 1]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/healthz", None),
        ("GET", "/api/session", None),
        ("POST", "/api/session/items", {"item": "x"}),
    ],
)
def test_a_route_without_the_database_sends_nothing(
    service: CountedDatabase, method: str, path: str, body: dict | None
) -> None:
    assert service.round_trips_of(method, path, json=body) == 0
