"""Ending a user's sessions holds on every instance, and against requests still in flight.

Two instances share Redis, as a deployment's do. Logout everywhere, sent to one, ends the
sessions held on both. A slow request on a session, still running when the session is
ended, cannot bring it back by finishing: a read writes nothing, and a write goes only to a
session that still exists (SET XX). Stock Flask-Session (the broken variant) writes every
session back at the end of every request, and the ended session is alive again.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import requests

from ..support.common import log_in_over_http
from ..support.live_server import LiveServer, start

SLOW = {
    "read": ("GET", "/test/slow-session-read?delay=1"),
    "write": ("POST", "/test/slow-session-write?delay=1"),
}


def username_seen(live: LiveServer, http: requests.Session) -> str | None:
    return http.get(live.url("/api/session"), timeout=10).json()["username"]


@pytest.fixture(scope="module")
def instances(live_settings: dict) -> Iterator[tuple[LiveServer, LiveServer]]:
    with start(live_settings, "revoke-a") as a, start(live_settings, "revoke-b") as b:
        yield a, b
    a.assert_clean_log()
    b.assert_clean_log()


@pytest.fixture(scope="module")
def stock(live_settings: dict) -> Iterator[LiveServer]:
    with start(live_settings, "revoke-stock", TEST_STOCK_SESSIONS="1") as live:
        yield live


def test_logout_everywhere_through_one_instance_ends_sessions_on_both(instances) -> None:
    name = f"user-{uuid.uuid4().hex[:12]}"
    a, b = instances
    on_a, on_b = requests.Session(), requests.Session()
    assert log_in_over_http(on_a, a.url, name, timeout=10).ok
    assert log_in_over_http(on_b, b.url, name, timeout=10).ok
    # Each session is used on the other instance too: both read the one store.
    assert username_seen(b, on_a) == username_seen(a, on_b) == name
    assert on_b.post(b.url("/api/session/logout-all"), timeout=10).status_code == 204
    assert username_seen(a, on_a) is None
    assert username_seen(b, on_b) is None


def session_after_revocation_in_flight(live: LiveServer, kind: str) -> str | None:
    """Log in, start a slow request on the session, end every session of the user from
    another client meanwhile; once the slow request is done, who the session says."""
    name = f"user-{uuid.uuid4().hex[:12]}"
    victim, other = requests.Session(), requests.Session()
    assert log_in_over_http(victim, live.url, name, timeout=10).ok
    assert log_in_over_http(other, live.url, name, timeout=10).ok
    method, path = SLOW[kind]
    slow = threading.Thread(
        target=lambda: victim.request(method, live.url(path), timeout=30).raise_for_status()
    )
    slow.start()
    time.sleep(0.3)  # the slow request has read the session
    assert other.post(live.url("/api/session/logout-all"), timeout=10).status_code == 204
    slow.join()
    return username_seen(live, victim)


@pytest.mark.parametrize("kind", sorted(SLOW))
def test_a_request_in_flight_cannot_bring_an_ended_session_back(instances, kind) -> None:
    assert session_after_revocation_in_flight(instances[0], kind) is None


@pytest.mark.parametrize("kind", sorted(SLOW))
def test_stock_sessions_bring_it_back(stock: LiveServer, kind) -> None:
    assert session_after_revocation_in_flight(stock, kind) is not None
