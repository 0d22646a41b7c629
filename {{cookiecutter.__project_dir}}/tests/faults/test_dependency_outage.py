"""A lost dependency answers a fast JSON 503 with Retry-After; what does not need it is unharmed."""

from __future__ import annotations

import logging
import time

import pytest
from flask import current_app, session
from redis import Redis

from {{ cookiecutter.package_name }} import create_app

from ..support.common import (
    SESSION_COOKIE,
    TEST_PASSWORD,
    TEST_SECRET_KEY,
    free_port,
    log_in,
    unreachable_database_url,
)

ALICE = {"username": "alice", "password": TEST_PASSWORD}


def assert_fast_503(response, started: float, dependency: str) -> None:
    assert time.monotonic() - started < 1.0
    assert response.status_code == 503
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]["code"] == f"{dependency}_unavailable"
    assert int(response.headers["Retry-After"]) >= 1


@pytest.fixture
def without_redis(make_app):
    return make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0").test_client()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/session", None),
        ("post", "/api/session/login", ALICE),
        ("post", "/api/session/items", {"item": "x"}),
        ("post", "/api/session/logout", None),
    ],
)
def test_session_routes_answer_503_when_redis_is_gone(without_redis, method, path, body) -> None:
    if path == "/api/session/login":  # one that would pass: signing up needs no Redis
        assert without_redis.post("/api/accounts", json=body).status_code in (201, 409)
    # A user logged in before the outage: the session is read, and refused, before a route
    # could check the login (the items' would otherwise be a 401).
    without_redis.set_cookie(SESSION_COOKIE, "an-existing-session")
    started = time.monotonic()
    response = getattr(without_redis, method)(path, json=body, headers={"X-Request-ID": "outage-1"})
    assert_fast_503(response, started, "redis")
    # Refused while the session opened, before any before_request hook: still the caller's id.
    assert response.headers["X-Request-ID"] == "outage-1"


def test_routes_without_a_session_ignore_a_redis_outage(without_redis) -> None:
    without_redis.set_cookie(SESSION_COOKIE, "an-existing-session")
    assert without_redis.post("/api/counters/unaffected").status_code == 200
    assert without_redis.get("/api/request").status_code == 200


def test_counters_answer_503_when_the_database_is_gone(redis_url: str) -> None:
    app = create_app(
        {
            "APP_ENV": "testing",
            "SECRET_KEY": TEST_SECRET_KEY,
            "REDIS_URL": redis_url,
            "DATABASE_URL": unreachable_database_url(),
        }
    )
    client = app.test_client()
    for method in (client.post, client.get):
        started = time.monotonic()
        assert_fast_503(method("/api/counters/any"), started, "database")
    assert client.get("/healthz").status_code == 200


def test_redis_lost_between_opening_and_saving_is_one_503_and_one_log_line(
    make_app, caplog
) -> None:
    """Redis answers when the session is opened and is gone when it is saved: the answer is a
    503, and the store is not asked again for the error response (which would log a
    traceback)."""
    app = make_app()
    dead = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.5)

    @app.get("/test/redis-gone-before-save")
    def redis_gone_before_save():
        session["visits"] = session.get("visits", 0) + 1  # saving it is a write
        current_app.session_interface.client = dead  # this test app's own interface
        return {"username": session["username"]}

    client = app.test_client()
    assert log_in(client.post, "alice").status_code == 200
    with caplog.at_level(logging.INFO):
        started = time.monotonic()
        response = client.get("/test/redis-gone-before-save")
    assert_fast_503(response, started, "redis")
    assert [record for record in caplog.records if record.exc_info] == []
    assert [record.getMessage() for record in caplog.records] == [
        "redis unavailable: ConnectionError"
    ]
