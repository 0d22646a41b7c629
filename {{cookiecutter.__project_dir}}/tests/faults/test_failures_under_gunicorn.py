"""Failures on the real server: gunicorn with the project's own config and two workers, real
Redis and the real database, clients hammering it while something breaks.

- Redis stops or hangs: session routes answer a fast JSON 503, the rest is untouched, and
  the service recovers by itself when Redis is back.
- The database stops (PostgreSQL behind a proxy that is cut) or is locked (SQLite, by an
  exclusive transaction of the test's own): a JSON 503, no crashed workers, recovery, and
  no counter increment lost or applied twice.
- A worker is killed mid-load: gunicorn replaces it and the database stays consistent.
- SIGTERM: requests in flight finish, new connections are not served, exit status 0.

Every outage is made on resources of the test's own (a redis-server, a proxy, a lock): the
shared Redis and PostgreSQL are never stopped.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import requests
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from {{ cookiecutter.package_name }}.machinery import baked
from {{ cookiecutter.package_name }}.models import Counter

from ..support.live_server import LiveServer, many_at_once, start
from ..support.load import (
    LOAD_CLIENTS,
    REQUEST_TIMEOUT,
    BackgroundLoad,
    Outcome,
    attempt,
    is_json_503,
    is_overloaded,
    logged_in_cookies,
    sign_up,
    wait_for,
)
from ..support.redis_process import dedicated_redis
from ..support.tcp_proxy import proxy_to

WARM_UP_SECONDS = 0.5
OUTAGE_SECONDS = 1.5
# The bounds the service promises.
SESSION_503_SECONDS = 1.0
READYZ_SECONDS = 2.0
RECOVERY_SECONDS = 5.0
SESSIONLESS_SECONDS = 0.5
# Workers are recycled after GUNICORN_MAX_REQUESTS; off here, so that a changed worker pid
# can only mean a crash.
NO_RECYCLING = {"GUNICORN_MAX_REQUESTS": "0"}
# Signed up before an outage (it needs only the database); logs in when Redis is back.
RETURNING = "back"


def assert_outage_logged_cleanly(server: LiveServer) -> None:
    """An outage is a 503 (a 500 means an error the service did not recognise), logged as
    one warning line per request, never as a traceback flooding the log."""
    assert [record for record in server.access_records() if record["status"] == 500] == []
    assert [record for record in server.records() if "exception" in record] == [], server.log()


def assert_still_the_same_workers(server: LiveServer, workers: list[int]) -> None:
    assert server.process.poll() is None, "gunicorn stopped"
    assert sorted(server.worker_pids()) == sorted(workers), "a worker crashed and was replaced"


# --- Sessions and counters -----------------------------------------------------------------
def session_requests(server: LiveServer, cookies: dict[str, str], account: dict) -> list[Outcome]:
    """One request of each kind that needs the session, the login with an account's right
    password. A short client timeout: an answer that takes longer has failed the test anyway."""
    options = {"cookies": cookies, "timeout": 3 * SESSION_503_SECONDS}
    return [
        attempt("GET", server.url("/api/session"), **options),
        attempt("POST", server.url("/api/session/login"), json=account, **options),
        attempt("POST", server.url("/api/session/items"), json={"item": "x"}, **options),
        attempt("POST", server.url("/api/session/logout"), **options),
    ]


def sessionless_requests(server: LiveServer, cookies: dict[str, str]) -> list[Outcome]:
    """Requests that never need the session, sent with a session cookie all the same."""
    return [
        attempt("POST", server.url("/api/counters/sessionless"), cookies=cookies),
        attempt("GET", server.url("/api/request"), cookies=cookies),
    ]


def a_session_round_trip_works(server: LiveServer, account: dict) -> bool:
    """Log in, then read the session back: the whole way through Redis works."""
    with requests.Session() as http:
        try:
            login = http.post(
                server.url("/api/session/login"), json=account, timeout=REQUEST_TIMEOUT
            )
            state = http.get(server.url("/api/session"), timeout=REQUEST_TIMEOUT)
        except requests.RequestException:
            return False
    return login.ok and state.ok and state.json()["username"] == account["username"]


def unique_counter() -> str:
    return f"outage-{uuid.uuid4().hex[:12]}"


def counter_value(server: LiveServer, name: str) -> int:
    response = requests.get(server.url(f"/api/counters/{name}"), timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["value"]


def increments(server: LiveServer, name: str) -> Callable[[int], Outcome]:
    def increment(_client: int) -> Outcome:
        return attempt("POST", server.url(f"/api/counters/{name}"))

    return increment


# --- 1. Redis stops or hangs -------------------------------------------------------------------
def assert_fast_redis_503s(outcomes: list[Outcome]) -> None:
    """A JSON 503 with Retry-After, each in under a second."""
    assert [o for o in outcomes if not is_json_503(o, "redis")] == []
    assert max(outcome.elapsed for outcome in outcomes) < SESSION_503_SECONDS


def assert_not_ready_because_of_redis(readiness: Outcome) -> None:
    assert readiness.status == 503 and readiness.elapsed < READYZ_SECONDS, readiness
    assert readiness.body["checks"]["redis"] != "ok"
    assert readiness.body["checks"]["database"] == "ok"
    assert "redis" in readiness.body["error"]["message"]


def assert_fast_and_fine(outcomes: list[Outcome]) -> None:
    """Routes without a session neither fail nor slow down when Redis is in trouble."""
    for outcome in outcomes:
        assert outcome.status == 200 and outcome.elapsed < SESSIONLESS_SECONDS, outcome


def test_a_stopped_redis_answers_fast_503s_and_heals_without_a_restart(
    live_settings: dict, tmp_path: Path
) -> None:
    with (
        dedicated_redis(tmp_path) as redis_server,
        start(
            {**live_settings, "redis_url": redis_server.url}, "redis-outage", **NO_RECYCLING
        ) as live,
    ):
        cookies = [logged_in_cookies(live, f"user-{n}") for n in range(LOAD_CLIENTS)]
        returning = sign_up(live, RETURNING)
        workers = live.worker_pids()
        sessionless_before = sessionless_requests(live, cookies[0])

        def read_session(client: int) -> Outcome:
            return attempt("GET", live.url("/api/session"), cookies=cookies[client])

        with BackgroundLoad(read_session) as load:
            time.sleep(WARM_UP_SECONDS)
            stopping = time.monotonic()
            redis_server.stop()
            stopped = time.monotonic()

            readiness = attempt("GET", live.url("/readyz"))
            liveness = [attempt("GET", live.url("/healthz")) for _ in range(3)]
            each_session_route = session_requests(live, cookies[0], returning)
            sessionless_during = sessionless_requests(live, cookies[0])
            time.sleep(max(0.0, stopped + OUTAGE_SECONDS - time.monotonic()))

            restarting = time.monotonic()
            redis_server.start()  # the same port: the service's settings are unchanged
            recovered = wait_for(
                lambda: a_session_round_trip_works(live, returning), RECOVERY_SECONDS
            )
            time.sleep(WARM_UP_SECONDS)  # load after recovery, to see that it holds

        assert_still_the_same_workers(live, workers)

    # The load was healthy before the outage, so what follows is the outage's doing.
    assert load.between(0, stopping)
    assert {outcome.status for outcome in load.between(0, stopping)} == {200}

    # Every request that needs the session: a fast JSON 503.
    during = load.between(stopped, restarting) + each_session_route
    assert len(during) > len(each_session_route), "the load saw no outage"
    assert_fast_redis_503s(during)
    # Alive, but not ready, and the readiness answer names Redis.
    assert [outcome.status for outcome in liveness] == [200, 200, 200]
    assert_not_ready_because_of_redis(readiness)
    assert_fast_and_fine(sessionless_before + sessionless_during)

    # Back by itself within RECOVERY_SECONDS of Redis returning, and staying back.
    assert recovered is not None, f"no session route succeeded {RECOVERY_SECONDS} s after Redis"
    assert recovered - restarting < RECOVERY_SECONDS
    assert {outcome.status for outcome in load.started_after(recovered)} == {200}
    assert_outage_logged_cleanly(live)


# A paused Redis is where the client's timeouts matter (a stopped one refuses at once): with
# the default REDIS_SOCKET_TIMEOUT each request must still get its 503 within a second. No
# background load: a sync worker serves one request at a time, and queued clients would
# wait out each other's timeouts, which says nothing of the service.


def test_a_hung_redis_answers_503s_within_a_second_and_heals(
    live_settings: dict, tmp_path: Path
) -> None:
    with (
        dedicated_redis(tmp_path) as redis_server,
        start(
            {**live_settings, "redis_url": redis_server.url},
            "redis-hung",
            **NO_RECYCLING,
        ) as live,
    ):
        cookies = logged_in_cookies(live, "patient")
        returning = sign_up(live, RETURNING)
        workers = live.worker_pids()
        with redis_server.paused():
            each_session_route = session_requests(live, cookies, returning)
            sessionless = sessionless_requests(live, cookies)
            readiness = attempt("GET", live.url("/readyz"))
            liveness = attempt("GET", live.url("/healthz"))
        resumed = time.monotonic()
        recovered = wait_for(lambda: a_session_round_trip_works(live, returning), RECOVERY_SECONDS)
        assert_still_the_same_workers(live, workers)

    assert_fast_redis_503s(each_session_route)
    assert_fast_and_fine(sessionless)
    assert liveness.status == 200
    assert_not_ready_because_of_redis(readiness)
    assert recovered is not None and recovered - resumed < RECOVERY_SECONDS
    assert_outage_logged_cleanly(live)


# --- 2. The database stops -------------------------------------------------------------------
class DatabaseOutage:
    """Where the server finds the database, what else it is told, and how the test takes the
    database away (begin) and gives it back (end)."""

    server_database_url: str
    server_env: dict[str, str]

    def begin(self) -> None:
        raise NotImplementedError

    def end(self) -> None:
        raise NotImplementedError


class PostgresBehindAProxy(DatabaseOutage):
    """PostgreSQL reached through a proxy: the outage drops every connection and refuses new
    ones, as a stopped or restarting server does."""

    def __init__(self, database_url: str, stack: contextlib.ExitStack) -> None:
        self.server_env = {}
        url = make_url(database_url)
        self.proxy = stack.enter_context(proxy_to(url.host or "127.0.0.1", url.port or 5432))
        self.server_database_url = url.set(host="127.0.0.1", port=self.proxy.port).render_as_string(
            hide_password=False
        )

    def begin(self) -> None:
        self.proxy.cut()

    def end(self) -> None:
        self.proxy.restore()


class SqliteLockedByAnotherProcess(DatabaseOutage):
    """SQLite with a write lock held by the test process (an exclusive transaction): every
    write of the service waits its busy timeout and fails, as with a stuck writer."""

    def __init__(self, database_url: str, stack: contextlib.ExitStack) -> None:
        # Short, so that the outage shows within a second instead of the default five.
        self.server_env = {"SQLITE_BUSY_TIMEOUT": "0.5"}
        self.path = make_url(database_url).database
        self.server_database_url = database_url
        self.holder = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        stack.callback(self.holder.close)

    def begin(self) -> None:
        self.holder.execute("BEGIN EXCLUSIVE")

    def end(self) -> None:
        self.holder.execute("ROLLBACK")


@contextlib.contextmanager
def database_outage(database_url: str) -> Iterator[DatabaseOutage]:
    with contextlib.ExitStack() as stack:
        if baked.DATABASE == "postgresql":
            yield PostgresBehindAProxy(database_url, stack)
        else:
            yield SqliteLockedByAnotherProcess(database_url, stack)


def test_a_database_outage_answers_503_and_no_increment_is_lost_or_doubled(
    live_settings: dict,
) -> None:
    name = unique_counter()
    with (
        database_outage(live_settings["database_url"]) as outage,
        start(
            {**live_settings, "database_url": outage.server_database_url},
            "database-outage",
            **NO_RECYCLING,
            **outage.server_env,
        ) as live,
    ):
        workers = live.worker_pids()
        with BackgroundLoad(increments(live, name)) as load:
            time.sleep(WARM_UP_SECONDS)
            cutting = time.monotonic()
            outage.begin()
            cut = time.monotonic()
            time.sleep(OUTAGE_SECONDS / 2)
            liveness = attempt("GET", live.url("/healthz"))
            time.sleep(OUTAGE_SECONDS / 2)
            outage.end()
            restored = time.monotonic()

            def succeeded_since_restore() -> bool:
                return any(o.status == 200 for o in load.started_after(restored))

            recovered = wait_for(succeeded_since_restore, RECOVERY_SECONDS)
            time.sleep(WARM_UP_SECONDS)  # load after recovery, to see that it holds

        # A restart nobody saw: the PostgreSQL connections pooled in the workers are dead and
        # no request failed to tell the pool so; the next requests must still succeed. (SQLite
        # has no connection to go stale: there this only shows the lock left nothing behind.)
        outage.begin()
        outage.end()
        after_quiet_restart = many_at_once(increments(live, name), 2 * LOAD_CLIENTS)

        assert_still_the_same_workers(live, workers)
        final = counter_value(live, name)

    assert [outcome.status for outcome in after_quiet_restart] == [200] * 2 * LOAD_CLIENTS
    outcomes = load.outcomes + after_quiet_restart
    failed = [outcome for outcome in outcomes if outcome.status != 200]
    # Answered with a JSON 503, never dropped, and only while the database was away. A request
    # that waited the queue's budget for a pooled connection held by one stuck on the dead
    # database is refused as `overloaded` (machinery/connection_admission.py): under gevent
    # with SQLite a worker has one connection.
    assert failed, "the load saw no outage"
    assert [o for o in failed if not (is_json_503(o, "database") or is_overloaded(o))] == []
    assert [o for o in failed if not o.overlaps(cutting, restored)] == []
    assert liveness.status == 200, "gunicorn stopped serving during the outage"
    assert recovered is not None, f"no increment succeeded {RECOVERY_SECONDS} s after the outage"
    first_success = min(o.started for o in outcomes if o.status == 200 and o.started >= restored)
    assert {o.status for o in load.started_after(first_success)} == {200}

    # A 200 is a committed increment. A request in flight while the database was being taken
    # away may have committed even though it failed (the answer to COMMIT can be what was
    # lost). One that failed later never reached the database; nothing else may count.
    succeeded = sum(1 for outcome in outcomes if outcome.status == 200)
    ambiguous = sum(1 for outcome in failed if outcome.overlaps(cutting, cut))
    assert succeeded <= final <= succeeded + ambiguous, (final, succeeded, ambiguous)
    assert_outage_logged_cleanly(live)


# --- 3. A worker is killed ----------------------------------------------------------------
def wait_for_replacement(server: LiveServer, before: list[int], killed: int) -> list[int]:
    def replaced() -> bool:
        now = server.worker_pids()
        return len(now) == 2 and killed not in now and bool(set(now) - set(before))

    assert wait_for(replaced, 10) is not None, f"not replaced: {server.worker_pids()}"
    return server.worker_pids()


def value_read_directly(database_url: str, name: str) -> int:
    """The counter straight from the database, after checking the database is intact."""
    if baked.DATABASE == "sqlite":
        with contextlib.closing(sqlite3.connect(make_url(database_url).database)) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
            return connection.execute(select(Counter.value).where(Counter.name == name)).scalar()
    finally:
        engine.dispose()


def test_a_killed_worker_is_replaced_and_its_increments_are_not_doubled(
    live_settings: dict,
) -> None:
    name = unique_counter()
    with start(live_settings, "worker-killed", **NO_RECYCLING) as live:
        before = live.worker_pids()
        with BackgroundLoad(increments(live, name), clients=2 * LOAD_CLIENTS) as load:
            time.sleep(WARM_UP_SECONDS)
            killed = before[0]
            os.kill(killed, signal.SIGKILL)
            after = wait_for_replacement(live, before, killed)
            replaced = time.monotonic()
            time.sleep(WARM_UP_SECONDS)  # the new worker takes its share of the load
        final = counter_value(live, name)
    stored = value_read_directly(live_settings["database_url"], name)

    assert len(after) == 2 and killed not in after
    succeeded = sum(1 for outcome in load.outcomes if outcome.status == 200)
    cut_off = [outcome for outcome in load.outcomes if outcome.status is None]
    others = [o for o in load.outcomes if o.status not in (200, None)]
    assert others == []
    assert succeeded > 0
    # What the kill cut off may have committed; nothing else may be missing or extra.
    assert succeeded <= final <= succeeded + len(cut_off), (final, succeeded, len(cut_off))
    assert stored == final
    assert {o.status for o in load.started_after(replaced)} == {200}


# --- 4. Shutdown ------------------------------------------------------------------------------
GRACEFUL_TIMEOUT = 10
SLOW_READ_SECONDS = 3.5
# Requests every worker model runs at once with two workers (gthread: 4 threads each).
SLOW_REQUESTS = {"sync": 2, "gthread": 4, "gevent": 8}[baked.WORKER_MODEL]
# A gevent worker looks at its stop flag once a second before it closes its listener.
STOPS_ACCEPTING_WITHIN = 1.5


def test_sigterm_finishes_requests_in_flight_and_serves_no_new_ones(live_settings: dict) -> None:
    with start(live_settings, "sigterm", GUNICORN_GRACEFUL_TIMEOUT=str(GRACEFUL_TIMEOUT)) as live:
        cookies = logged_in_cookies(live, "slow-reader")
        slow_url = live.url(f"/test/slow-session-read?delay={SLOW_READ_SECONDS}")
        results: list[Outcome] = []

        def slow_read() -> None:
            results.append(attempt("GET", slow_url, cookies=cookies))

        readers = [threading.Thread(target=slow_read) for _ in range(SLOW_REQUESTS)]
        for reader in readers:
            reader.start()
        time.sleep(0.8)  # every reader has been accepted and is sleeping in the view
        terminated = time.monotonic()
        live.process.send_signal(signal.SIGTERM)

        time.sleep(STOPS_ACCEPTING_WITHIN)
        newcomer = attempt("GET", live.url("/healthz"))
        for reader in readers:
            reader.join(GRACEFUL_TIMEOUT + 5)
        exit_status = live.process.wait(GRACEFUL_TIMEOUT + 5)

    assert len(results) == SLOW_REQUESTS
    for outcome in results:
        assert outcome.status == 200, outcome
        assert outcome.body["username"] == "slow-reader"
        assert outcome.finished < terminated + GRACEFUL_TIMEOUT
    # The newcomer came while those were still running, and got no answer at all.
    assert newcomer.started < min(outcome.finished for outcome in results)
    assert newcomer.status is None, newcomer
    assert newcomer.error == "ConnectionError", newcomer
    assert exit_status == 0, live.log()
