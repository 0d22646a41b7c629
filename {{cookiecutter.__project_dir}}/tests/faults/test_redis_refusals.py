"""A Redis that is up but refuses the session's commands is an unavailable Redis: a master
whose min-replicas-to-write is not met (NOREPLICAS, the setting that narrows what a
failover can lose) and a replica (READONLY, where a plain URL's host may point after a
failover) answer JSON 503s with Retry-After, never 500s."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import session

from ..support.common import SESSION_COOKIE, TEST_PASSWORD
from ..support.redis_process import RedisProcess, dedicated_redis

REFUSING = {
    "master-without-enough-replicas": ("--min-replicas-to-write", "1"),
    # A replica of a master that is not there: it reads, and refuses every write.
    "replica": ("--replicaof", "127.0.0.1", "1"),
}


@pytest.fixture(params=sorted(REFUSING))
def refusing_redis(request, tmp_path) -> Iterator[RedisProcess]:
    with dedicated_redis(tmp_path, *REFUSING[request.param], name=request.param) as redis:
        yield redis


def test_a_refused_session_write_is_a_json_503(make_app, refusing_redis) -> None:
    app = make_app(REDIS_URL=refusing_redis.url)

    @app.post("/test/remember")
    def remember():
        session["remembered"] = True  # a new visitor's session: written, never read first
        return {}

    visitor, user = app.test_client(), app.test_client()
    user.set_cookie(SESSION_COOKIE, "a-session-logged-in-before")
    account = {"username": "refused", "password": TEST_PASSWORD}
    # The account exists: signing up needs the database alone, never a Redis write.
    assert visitor.post("/api/accounts", json=account).status_code in (201, 409)
    # A login's first write is the throttle's (EVALSHA). A logged-in user's item: the session
    # read that finds the login, GETEX, is a write too (it pushes the expiry back). A route of
    # the team's that writes a new visitor's session: the session's own SET (no route of the
    # service's does since items need a login).
    for client, path, body in (
        (visitor, "/api/session/login", account),
        (user, "/api/session/items", {"item": "x"}),
        (visitor, "/test/remember", None),
    ):
        response = client.post(path, json=body)
        assert response.status_code == 503, response.get_data(as_text=True)
        assert response.get_json()["error"]["code"] == "redis_unavailable"
        assert response.headers["Retry-After"] == "1"
