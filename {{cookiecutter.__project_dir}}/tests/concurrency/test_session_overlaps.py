"""A slow request that only reads the session must not undo what happened meanwhile.

Each scenario runs twice: on this service's session interface, where nothing may be lost or
revived, and on stock Flask-Session, where the same steps lose or revive data. The stock run
shows that each test is able to see the failure it guards against.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from flask import Flask, session
from flask_session.redis import RedisSessionInterface
from redis import Redis

from ..support.common import SESSION_COOKIE, TEST_PASSWORD, log_in, session_id

OURS, STOCK = "fresh-writes-only", "stock-flask-session"


class SlowReader:
    """A request that reads the session, then waits until the test lets it finish."""

    def __init__(self, app: Flask) -> None:
        self.started = threading.Event()
        self.proceed = threading.Event()
        self.responses: list = []
        app.add_url_rule("/test/slow-read", "slow_read", self._view)
        self._client = app.test_client(use_cookies=False)

    def _view(self):
        username = session.get("username")
        self.started.set()
        self.proceed.wait(10)
        return {"username": username}

    def start(self, sid: str) -> threading.Thread:
        headers = {"Cookie": f"{SESSION_COOKIE}={sid}"}

        def read() -> None:
            self.responses.append(self._client.get("/test/slow-read", headers=headers))

        thread = threading.Thread(target=read)
        thread.start()
        assert self.started.wait(10), "the slow read never started"
        return thread

    def finish(self, thread: threading.Thread):
        self.proceed.set()
        thread.join(10)
        return self.responses[0]


@pytest.fixture(params=[OURS, STOCK])
def variant(request) -> str:
    return request.param


@pytest.fixture
def overlap_app(make_app: Callable[..., Flask], key_prefix: str, variant: str) -> Flask:
    app = make_app()
    if variant == STOCK:
        app.session_interface = RedisSessionInterface(
            app, client=app.session_interface.client, key_prefix=key_prefix
        )
    return app


def test_a_write_made_during_a_slow_read_survives(overlap_app: Flask, variant: str) -> None:
    reader = SlowReader(overlap_app)
    client = overlap_app.test_client()
    sid = session_id(log_in(client.post, "alice"))  # items need a login
    assert client.post("/api/session/items", json={"item": "first"}).status_code == 201

    slow = reader.start(sid)
    assert client.post("/api/session/items", json={"item": "second"}).status_code == 201
    reader.finish(slow)

    items = client.get("/api/session").get_json()["items"]
    lost = items != ["first", "second"]
    assert lost == (variant == STOCK), items


def test_a_logged_out_session_stays_dead(
    overlap_app: Flask, variant: str, redis_client: Redis, key_prefix: str
) -> None:
    reader = SlowReader(overlap_app)
    client = overlap_app.test_client()
    sid = session_id(log_in(client.post, "alice"))

    slow = reader.start(sid)
    assert client.post("/api/session/logout").status_code == 204
    reader.finish(slow)

    replay = overlap_app.test_client(use_cookies=False).get(
        "/api/session", headers={"Cookie": f"{SESSION_COOKIE}={sid}"}
    )
    revived = redis_client.exists(key_prefix + sid) == 1
    assert revived == (variant == STOCK)
    assert (replay.get_json()["username"] == "alice") == (variant == STOCK)


def test_an_id_retired_at_login_stays_retired(
    overlap_app: Flask, variant: str, redis_client: Redis, key_prefix: str
) -> None:
    reader = SlowReader(overlap_app)
    client = overlap_app.test_client()
    old_sid = session_id(log_in(client.post, "alice"))
    bob = {"username": "bob", "password": TEST_PASSWORD}
    assert client.post("/api/accounts", json=bob).status_code in (201, 409)  # before the overlap

    slow = reader.start(old_sid)
    new_sid = session_id(client.post("/api/session/login", json=bob))
    slow_response = reader.finish(slow)

    assert new_sid not in (None, old_sid)
    revived = redis_client.exists(key_prefix + old_sid) == 1
    assert revived == (variant == STOCK)
    if variant == OURS:
        assert session_id(slow_response) is None  # no cookie handing the old id back
