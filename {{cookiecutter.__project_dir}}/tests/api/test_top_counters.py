"""The top counters: a cached read, its invalidation by DELETE, and the cache made optional.

The concurrency it is cached for is proven under the real server, in
tests/concurrency/test_shared_cache_under_gunicorn.py; here, what one process sees.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from datetime import datetime

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy import update

from {{ cookiecutter.package_name }}.machinery.extensions import db
from {{ cookiecutter.package_name }}.machinery.shared_cache import SharedCache
from {{ cookiecutter.package_name }}.models import Counter

from ..support.common import SESSION_COOKIE, free_port


def fills(app: Flask) -> float:
    metrics = app.extensions["metrics"]
    return metrics.registry.get_sample_value("cache_fills_total", {"cache": "top_counters"}) or 0


def leading_counters(app: Flask, *values: int) -> list[str]:
    """Counters of this test's own with BIG + value each, at the head of the top list."""
    client = app.test_client()
    names = []
    for _ in values:
        name = f"t-{uuid.uuid4().hex[:12]}"
        assert client.post(f"/api/counters/{name}").status_code == 200
        names.append(name)
    with app.app_context():
        # Above any count another test reaches, and above every earlier test's leaders;
        # within a BIGINT until the year 2262.
        base = time.time_ns() // 1000 * 1000
        for name, value in zip(names, values, strict=True):
            db.session.execute(
                update(Counter).where(Counter.name == name).values(value=base + value)
            )
        db.session.commit()
    return names


def listed(app: Flask, limit: int = 10) -> list[str]:
    response = app.test_client().get(f"/api/counters/top?limit={limit}")
    assert response.status_code == 200, response.text
    return [counter["name"] for counter in response.get_json()["counters"]]


def test_the_top_counters_come_largest_first_with_when_they_were_read(make_app) -> None:
    app = make_app(TOP_COUNTERS_TTL_SECONDS="0")
    small, large, middle = leading_counters(app, 1, 3, 2)
    before = time.time()
    body = app.test_client().get("/api/counters/top?limit=3").get_json()
    assert [counter["name"] for counter in body["counters"]] == [large, middle, small]
    assert body["counters"][0]["value"] > body["counters"][1]["value"]
    read_at = datetime.fromisoformat(body["computed_at"]).timestamp()
    assert before - 1 < read_at <= time.time()
    assert len(listed(app, limit=1)) == 1
    assert len(app.test_client().get("/api/counters/top").get_json()["counters"]) <= 10


@pytest.mark.parametrize("limit", ["0", "51", "-1", "x", "1.5"])
def test_a_limit_outside_1_to_50_is_a_json_422(client, limit: str) -> None:
    response = client.get(f"/api/counters/top?limit={limit}")
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"].keys() == {"limit"}


def test_top_is_the_list_and_no_counter_may_take_its_name(client) -> None:
    for method in (client.post, client.delete):
        response = method("/api/counters/top")
        assert response.status_code == 405
        assert response.get_json()["error"]["code"] == "method_not_allowed"
        assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert client.post("/api/counters/top-1").status_code == 200


def test_one_computation_serves_every_read_until_it_expires(make_app) -> None:
    app = make_app(TOP_COUNTERS_TTL_SECONDS="60")
    (leader,) = leading_counters(app, 1)
    first = app.test_client().get("/api/counters/top").get_json()
    assert first["counters"][0]["name"] == leader
    assert app.test_client().post(f"/api/counters/{leader}").status_code == 200
    assert app.test_client().get("/api/counters/top").get_json() == first  # cached
    assert fills(app) == 1


def test_a_delete_is_seen_by_the_next_read(make_app) -> None:
    app = make_app(TOP_COUNTERS_TTL_SECONDS="60")
    first, second = leading_counters(app, 2, 1)
    assert listed(app)[:2] == [first, second]
    assert app.test_client().delete(f"/api/counters/{first}").status_code == 204
    assert listed(app)[0] == second
    assert fills(app) == 2
    response = app.test_client().delete(f"/api/counters/{first}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_a_ttl_of_zero_computes_every_read(make_app, redis_client: Redis, key_prefix) -> None:
    app = make_app(TOP_COUNTERS_TTL_SECONDS="0")
    for _ in range(3):
        listed(app)
    assert fills(app) == 3
    assert list(redis_client.scan_iter(match=f"{key_prefix}cache:*")) == []


def test_a_stored_value_is_dated_from_when_its_data_was_read(
    make_app, redis_client: Redis, key_prefix
) -> None:
    """dogpile dates a value from when it was stored; the cache moves the date back to the
    read and keeps how long the computation took (machinery/shared_cache.py). This fails if
    a dogpile release changes where a value is built."""
    app = make_app(TOP_COUNTERS_TTL_SECONDS="60")
    listed(app)
    metadata, _, payload = redis_client.get(f"{key_prefix}cache:top_counters:0").partition(b"|")
    assert json.loads(metadata)["ct"] == json.loads(payload)["read_at"]
    assert json.loads(metadata)["took"] == json.loads(payload)["took"] > 0


def store_expired(redis_client: Redis, key: str, expired_for: float, took: float) -> None:
    """A list as dogpile stores it (TTL 60 s), expired `expired_for` seconds ago, whose
    computation took `took` seconds; and its lock taken, as by another computer."""
    read_at = time.time() - 60 - expired_for
    metadata = json.dumps({"ct": read_at, "v": 2, "took": took})
    stored = {"read_at": read_at, "took": took, "value": [{"name": "the-old-list", "value": 1}]}
    redis_client.set(key, f"{metadata}|{json.dumps(stored)}")
    redis_client.set(f"_lock{key}", "another-computer", px=5000)


def test_a_value_just_expired_is_served_while_another_computes(
    make_app, redis_client: Redis, key_prefix
) -> None:
    app = make_app(TOP_COUNTERS_TTL_SECONDS="60")
    store_expired(redis_client, f"{key_prefix}cache:top_counters:0", expired_for=0.2, took=1)
    assert listed(app) == ["the-old-list"]
    assert fills(app) == 0


def test_a_value_expired_longer_than_its_computation_took_is_waited_for(
    make_app, redis_client: Redis, key_prefix
) -> None:
    """After an idle spell no request gets the old list, however long the key lives in
    Redis: they wait for the computation (here, for the lock's holder to give it up)."""
    app = make_app(TOP_COUNTERS_TTL_SECONDS="60")
    key = f"{key_prefix}cache:top_counters:0"
    store_expired(redis_client, key, expired_for=2, took=1)
    releaser = threading.Timer(0.3, redis_client.delete, [f"_lock{key}"])
    releaser.start()
    started = time.monotonic()
    assert "the-old-list" not in listed(app)
    assert time.monotonic() - started >= 0.3
    assert fills(app) == 1
    releaser.join()


def test_without_redis_the_list_is_computed_and_the_outage_logged_once(
    make_app, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    (leader,) = leading_counters(app, 1)
    with caplog.at_level(logging.INFO, logger=SharedCache.__module__):
        for _ in range(5):
            assert listed(app)[0] == leader
        assert app.test_client().delete(f"/api/counters/{leader}").status_code == 204
        assert leader not in listed(app)
    assert fills(app) == 6
    outage_lines = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(outage_lines) == 1
    # Sessions are not optional: they still answer 503.
    client = app.test_client()
    client.set_cookie(SESSION_COOKIE, "an-existing-session")
    assert client.get("/api/session").status_code == 503


def test_without_a_redis_url_every_read_is_computed(make_app) -> None:
    app = make_app(REDIS_URL=None)
    listed(app)
    listed(app)
    assert fills(app) == 2
