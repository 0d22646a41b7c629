"""A Redis that is up but refuses the session's commands is an unavailable Redis: a master
whose min-replicas-to-write is not met (NOREPLICAS, the setting that narrows what a
failover can lose) and a replica (READONLY, where a plain URL's host may point after a
failover) answer JSON 503s with Retry-After, never 500s."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..support.common import TEST_PASSWORD
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
    client = make_app(REDIS_URL=refusing_redis.url).test_client()
    account = {"username": "refused", "password": TEST_PASSWORD}
    # The account exists: signing up needs the database alone, never a Redis write.
    assert client.post("/api/accounts", json=account).status_code in (201, 409)
    # A login's first write is the throttle's (EVALSHA); a new visitor's item, the session's
    # own (SET).
    for path, body in (("/api/session/login", account), ("/api/session/items", {"item": "x"})):
        response = client.post(path, json=body)
        assert response.status_code == 503, response.get_data(as_text=True)
        assert response.get_json()["error"]["code"] == "redis_unavailable"
        assert response.headers["Retry-After"] == "1"
