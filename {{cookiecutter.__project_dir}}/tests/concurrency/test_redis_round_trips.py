"""Round trips are part of the contract: the Redis commands each route sends, counted on a
Redis of this test's own behind the real gunicorn. Reading a session costs one command,
GETEX (it also pushes the expiry back); a write adds one SET; a route marked @sessionless
sends none, unless it reads the shared cache: a hit is two GETs (the generation, the
value). A route that needs a login (the notes, the items) finds it in that one read. A login
adds the throttle's two scripts (EVALSHA), gives their places back (LPOP) once the password
is right, and names the new id in the user's index (SADD). A change that adds a round trip
fails here; one that removes one updates the table on purpose."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
import requests
from redis import Redis

from ..support.common import SESSION_COOKIE, TEST_PASSWORD, log_in_over_http
from ..support.live_server import LiveServer, start
from ..support.redis_process import dedicated_redis

FRESH_COOKIE = f"{SESSION_COOKIE}_fresh"
# Sent once per new connection, not per request: the pool's handshake.
CONNECTION_SET_UP = {"client|setinfo", "hello", "auth", "select"}
COUNTING = {"config|resetstat", "info"}  # this test's own


class CountedService:
    def __init__(self, live: LiveServer, redis: Redis) -> None:
        self.live = live
        self.redis = redis

    def commands(self, http: requests.Session, method: str, path: str, **options) -> Counter:
        """The commands Redis received while the service answered this one request."""
        self.redis.config_resetstat()
        response = http.request(method, self.live.url(path), timeout=10, **options)
        assert response.status_code < 300, response.text
        return Counter(
            {
                name: entry["calls"]
                for name, entry in (
                    (key.removeprefix("cmdstat_"), value)
                    for key, value in self.redis.info("commandstats").items()
                )
                if name not in CONNECTION_SET_UP | COUNTING
            }
        )

    def logged_in(self) -> requests.Session:
        http = requests.Session()
        login = log_in_over_http(http, self.live.url, "user1", timeout=10)
        assert login.ok, login.text
        return http


@pytest.fixture(scope="module")
def service(live_settings, tmp_path_factory) -> Iterator[CountedService]:
    with dedicated_redis(tmp_path_factory.mktemp("round-trips"), name="round-trips") as redis:
        settings = {**live_settings, "redis_url": redis.url}
        with start(settings, "round-trips", app=None) as live:
            yield CountedService(live, Redis.from_url(redis.url))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/healthz"),
        ("GET", "/metrics"),
        ("GET", "/api/request"),
        ("POST", "/api/counters/round-trips"),
        ("GET", "/api/counters/round-trips"),
    ],
)
def test_a_sessionless_route_sends_nothing_even_with_a_session_cookie(
    service: CountedService, method: str, path: str
) -> None:
    assert service.commands(service.logged_in(), method, path) == {}


def test_reading_a_session_is_one_command(service: CountedService) -> None:
    assert service.commands(service.logged_in(), "GET", "/api/session") == {"getex": 1}


def test_a_new_visitor_costs_nothing(service: CountedService) -> None:
    assert service.commands(requests.Session(), "GET", "/api/session") == {}


def test_renewing_the_cookie_checks_the_key_once(service: CountedService) -> None:
    http = service.logged_in()
    http.cookies.pop(FRESH_COOKIE)  # as a browser drops it, half the cookie's life later
    assert service.commands(http, "GET", "/api/session") == {"getex": 1, "expire": 1}
    assert service.commands(http, "GET", "/api/session") == {"getex": 1}


def test_writing_a_session_is_two_commands(service: CountedService) -> None:
    added = service.commands(service.logged_in(), "POST", "/api/session/items", json={"item": "x"})
    assert added == {"getex": 1, "set": 1}  # the read that finds the login; the item's write


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("POST", "/api/notes", {"title": "round trips"}), ("GET", "/api/notes", None)],
)
def test_a_route_that_needs_a_login_reads_the_session_once(
    service: CountedService, method: str, path: str, body: dict | None
) -> None:
    # GETEX: the session read that finds who is logged in; the notes are the database's.
    assert service.commands(service.logged_in(), method, path, json=body) == {"getex": 1}


# A login's places in the throttle (machinery/login_throttle.py): one EVALSHA per limit (the
# address's, the account's), whose script sends LINDEX (is the window full?), LPUSH (this
# attempt's place), LTRIM and EXPIRE inside Redis; LPOP x2: given back, the password right.
THROTTLE = Counter(evalsha=2, lindex=2, lpush=2, ltrim=2, expire=2, lpop=2)
# The new id in the user's index of sessions (machinery/user_sessions.py): SADD and EXPIRE,
# in one pipeline (one round trip).
USER_INDEX = Counter(sadd=1, expire=1)


def test_login_and_logout(service: CountedService) -> None:
    # The account exists and has logged in once (which loads the throttle's script).
    assert service.logged_in().cookies.get(SESSION_COOKIE)
    http = requests.Session()
    login = {"json": {"username": "user1", "password": TEST_PASSWORD}}
    # A new visitor has nothing to retire; a second login retires the first id.
    first = service.commands(http, "POST", "/api/session/login", **login)
    assert first == THROTTLE + USER_INDEX + Counter({"set": 1})  # SET: the new session
    second = service.commands(http, "POST", "/api/session/login", **login)
    # GETEX: the session read; DEL: its id retired; SET: the new one.
    assert second == THROTTLE + USER_INDEX + Counter({"getex": 1, "del": 1, "set": 1})
    # GETEX: the session read; SREM: its id out of the user's index; DEL: the session.
    logout = service.commands(http, "POST", "/api/session/logout")
    assert logout == {"getex": 1, "srem": 1, "del": 1}


def test_readiness_is_one_ping(service: CountedService) -> None:
    assert service.commands(requests.Session(), "GET", "/readyz") == {"ping": 1}


def test_a_cached_read_is_two_gets_and_an_invalidation_one_incrby(service: CountedService) -> None:
    http = requests.Session()
    assert http.post(service.live.url("/api/counters/round-trips-deleted"), timeout=10).ok
    service.commands(http, "GET", "/api/counters/top")  # the first also loads the lock's script
    assert service.commands(http, "GET", "/api/counters/top") == {"get": 2}
    deleted = service.commands(http, "DELETE", "/api/counters/round-trips-deleted")
    assert deleted == {"incrby": 1}
    # A miss: the generation, the value, the lock taken (SET NX), the value checked again
    # under it, the new value stored (SETEX), the lock freed by a script (EVALSHA) that
    # sends GET and DEL inside Redis: six round trips.
    missed = service.commands(http, "GET", "/api/counters/top")
    assert missed == {"get": 4, "set": 1, "setex": 1, "evalsha": 1, "del": 1}
