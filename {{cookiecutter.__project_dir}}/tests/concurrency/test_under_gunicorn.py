"""The real server under real concurrency: gunicorn with the project's own config and two
workers, real Redis and the real database, many clients at once.

Each property is also run against a broken variant (stock Flask-Session, no post_fork
disposal) to show that the test sees the failure it guards against.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter as Tally
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from redis import Redis

from ..support.common import TEST_PASSWORD
from ..support.live_server import (
    WITHOUT_QUEUE_BUDGET,
    LiveServer,
    broken_config,
    many_at_once,
    start,
)
from ..support.load import sign_up

CLIENTS = 32
INCREMENTS_PER_CLIENT = 5
ITEMS_PER_CLIENT = 10
OVERLAP_ROUNDS = 3
SLOW_READ_SECONDS = 0.6


def test_concurrent_increments_lose_no_update(server: LiveServer) -> None:
    name = f"live-{uuid.uuid4().hex[:12]}"

    def client(_: int) -> list[int]:
        with requests.Session() as http:
            return [
                http.post(server.url(f"/api/counters/{name}"), timeout=30).status_code
                for _ in range(INCREMENTS_PER_CLIENT)
            ]

    statuses = [status for batch in many_at_once(client, CLIENTS) for status in batch]
    final = requests.get(server.url(f"/api/counters/{name}"), timeout=10).json()["value"]
    assert Tally(statuses) == {200: CLIENTS * INCREMENTS_PER_CLIENT}
    assert final == statuses.count(200)


@pytest.fixture
def unbudgeted_server(live_settings: dict) -> Iterator[LiveServer]:
    """The service for CLIENTS logins at once. Each checks a password (tens of milliseconds
    of CPU): more at once than two CPUs serve within the queue's budget, whose refusals (503
    `overloaded`) are not what the test is about."""
    with start(live_settings, "logins-at-once", **WITHOUT_QUEUE_BUDGET) as live:
        yield live
    live.assert_clean_log()


def test_each_client_keeps_its_own_session_and_request_ids(unbudgeted_server: LiveServer) -> None:
    server = unbudgeted_server
    # Signed up one by one beforehand: what runs at once is the clients' sessions.
    accounts = [
        sign_up(server, f"user-{number}-{uuid.uuid4().hex[:6]}") for number in range(CLIENTS)
    ]

    def client(number: int) -> None:
        username = accounts[number]["username"]
        mine = [f"{username}:{index}" for index in range(ITEMS_PER_CLIENT)]
        with requests.Session() as http:
            login = http.post(server.url("/api/session/login"), json=accounts[number])
            assert login.status_code == 200
            for item in mine:
                request_id = uuid.uuid4().hex
                response = http.post(
                    server.url("/api/session/items"),
                    json={"item": item},
                    headers={"X-Request-ID": request_id},
                    timeout=30,
                )
                assert response.status_code == 201
                assert response.headers["X-Request-ID"] == request_id
                echo = http.get(server.url("/api/request"), headers={"X-Request-ID": request_id})
                assert echo.json()["request_id"] == request_id
            state = http.get(server.url("/api/session"), timeout=30).json()
        assert state == {"username": username, "items": mine}

    many_at_once(client, CLIENTS)


def sid_of(http: requests.Session) -> str:
    return http.cookies.get("session")


def overlap_with_slow_read(server: LiveServer, http: requests.Session, action) -> None:
    """Run `action` while a slow request holds a copy of the session it read first."""
    cookie = {"session": sid_of(http)}
    reader = threading.Thread(
        target=requests.get,
        args=(server.url(f"/test/slow-session-read?delay={SLOW_READ_SECONDS}"),),
        kwargs={"cookies": cookie, "timeout": 30},
    )
    reader.start()
    time.sleep(SLOW_READ_SECONDS / 3)  # the reader has loaded the session by now
    action()
    reader.join()


def count_overlap_failures(server: LiveServer, redis_url: str, prefix: str) -> Tally:
    """Writes lost, logged-out sessions revived, and retired ids restored, over the rounds."""
    failures = Tally()
    redis = Redis.from_url(redis_url)
    names = [f"round-{number}" for number in range(OVERLAP_ROUNDS)] + ["again", "once-more"]
    for name in names:  # the logins below are what overlaps; the accounts exist before
        sign_up(server, name)
    for round_number in range(OVERLAP_ROUNDS):
        with requests.Session() as http:

            def login(username: str, http=http) -> None:
                account = {"username": username, "password": TEST_PASSWORD}
                answer = http.post(server.url("/api/session/login"), json=account)
                assert answer.status_code == 200, answer.text  # a new id, or nothing to count

            def add(item: str, http=http) -> None:
                http.post(server.url("/api/session/items"), json={"item": item})

            def logout(http=http) -> None:
                http.post(server.url("/api/session/logout"))

            login(f"round-{round_number}")
            add("before")
            overlap_with_slow_read(server, http, lambda: add("during"))
            if http.get(server.url("/api/session")).json()["items"] != ["before", "during"]:
                failures["write lost"] += 1

            logged_out = sid_of(http)
            overlap_with_slow_read(server, http, logout)
            if redis.exists(prefix + logged_out):
                failures["logout undone"] += 1

            login("again")
            retired = sid_of(http)
            overlap_with_slow_read(server, http, lambda: login("once-more"))
            if sid_of(http) == retired or redis.exists(prefix + retired):
                failures["retired id restored"] += 1
    redis.close()
    return failures


def test_slow_reads_never_write_back_stale_sessions(server: LiveServer, live_settings) -> None:
    failures = count_overlap_failures(
        server, live_settings["redis_url"], live_settings["key_prefix"]
    )
    assert failures == Tally()


def test_the_same_overlaps_break_stock_flask_session(live_settings: dict) -> None:
    with start(live_settings, "stock-sessions", TEST_STOCK_SESSIONS="1") as stock:
        failures = count_overlap_failures(
            stock, live_settings["redis_url"], live_settings["key_prefix"]
        )
    assert set(failures) == {"write lost", "logout undone", "retired id restored"}, failures


def connections_seen(server: LiveServer, requests_count: int = 60) -> list[dict]:
    def ask(_: int) -> dict:
        try:
            response = requests.get(server.url("/test/db-connection"), timeout=10)
        except requests.RequestException as error:
            # Two processes on one socket can also hang the protocol (seen under gevent).
            return {"failed": type(error).__name__}
        return response.json() if response.status_code == 200 else {"failed": response.status_code}

    return many_at_once(ask, requests_count)


def sharing_symptoms(seen: list[dict]) -> list[dict]:
    """Signs that workers share a connection: an answer served on a connection another
    process opened, a backend used by two workers, or a request that failed because two
    processes talked over one socket at once."""
    failed = [answer for answer in seen if "failed" in answer]
    answered = [answer for answer in seen if "failed" not in answer]
    inherited = [answer for answer in answered if answer["created_by_pid"] != answer["pid"]]
    workers_by_backend: dict = {}
    for answer in answered:
        if answer["backend"] is not None:
            workers_by_backend.setdefault(answer["backend"], set()).add(answer["pid"])
    shared = [{"backend shared by": sorted(pids)} for pids in workers_by_backend.values()]
    return failed + inherited + [entry for entry in shared if len(entry["backend shared by"]) > 1]


def test_preloaded_workers_never_share_a_database_connection(server: LiveServer) -> None:
    seen = connections_seen(server)
    assert sharing_symptoms(seen) == []
    assert len({answer["pid"] for answer in seen}) == 2, "both workers must have answered"


def test_workers_start_with_the_masters_objects_frozen(server: LiveServer) -> None:
    """pre_fork hides the preloaded app from the workers' garbage collector, so that a
    collection leaves the pages they share with the master shared."""
    # Each request on a new connection, taken by whichever worker wakes first: on a busy
    # machine one can win many in a row, so ask until both have answered, within bounds.
    answers = []
    while len({answer["pid"] for answer in answers}) < 2 and len(answers) < 200:
        answers.append(requests.get(server.url("/test/pid"), timeout=5).json())
    assert len({answer["pid"] for answer in answers}) == 2, "both workers must have answered"
    assert all(answer["frozen_objects"] > 10_000 for answer in answers), answers


def test_without_post_fork_disposal_workers_inherit_the_masters_connection(
    live_settings: dict, tmp_path: Path
) -> None:
    broken = broken_config(tmp_path, hooks=("post_fork",))
    with start(live_settings, "no-dispose", config=broken, TEST_TOUCH_DB_AT_LOAD="1") as live:
        seen = connections_seen(live)
    assert sharing_symptoms(seen) != []


def test_gunicorn_serves_its_own_app_with_no_arguments(live_settings: dict) -> None:
    with start(live_settings, "plain", app=None) as live:
        assert requests.get(live.url("/healthz"), timeout=5).json() == {"status": "ok"}
        assert requests.get(live.url("/readyz"), timeout=5).json() == {
            "status": "ok",
            "checks": {"database": "ok", "redis": "ok"},
        }
        assert requests.get(live.url("/test/db-connection"), timeout=5).status_code == 404
    live.assert_clean_log()
    assert all(record["request_id"] for record in live.access_records())
