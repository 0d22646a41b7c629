"""Counters: created at 1, incremented atomically, never losing an update."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from sqlalchemy import select, update

from {{ cookiecutter.package_name }} import counters
from {{ cookiecutter.package_name }}.machinery.extensions import db
from {{ cookiecutter.package_name }}.models import Counter

CLIENTS = 32


def fresh_name() -> str:
    return f"c-{uuid.uuid4().hex[:16]}"


def test_a_counter_starts_at_one_and_counts(client) -> None:
    name = fresh_name()
    assert client.post(f"/api/counters/{name}").get_json() == {"name": name, "value": 1}
    assert client.post(f"/api/counters/{name}").get_json() == {"name": name, "value": 2}
    assert client.get(f"/api/counters/{name}").get_json() == {"name": name, "value": 2}


def test_an_unknown_counter_is_a_json_404(client) -> None:
    response = client.get(f"/api/counters/{fresh_name()}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("name", ["UPPER", "a" * 65, "dot.ted", "sp ace", "é"])
def test_invalid_counter_names_are_refused(client, name: str) -> None:
    for method in (client.post, client.get):
        response = method(f"/api/counters/{name}")
        assert response.status_code == 422
        assert response.get_json()["error"]["code"] == "validation_failed"


def hammer(app: Flask, path: str, clients: int) -> int:
    """`clients` threads, each with its own test client, post at once; returns the 200s."""

    def post(_: int) -> int:
        return app.test_client().post(path).status_code

    with ThreadPoolExecutor(max_workers=clients) as pool:
        statuses = list(pool.map(post, range(clients)))
    assert set(statuses) <= {200}, statuses
    return statuses.count(200)


def test_concurrent_increments_through_the_api_lose_nothing(make_app) -> None:
    app = make_app(DB_POOL_SIZE=CLIENTS)
    name = fresh_name()
    successes = hammer(app, f"/api/counters/{name}", CLIENTS)
    assert app.test_client().get(f"/api/counters/{name}").get_json()["value"] == successes
    assert successes == CLIENTS


def naive_increment(name: str, barrier: threading.Barrier) -> None:
    """Read-modify-write: the lost update this service's counters are built to avoid."""
    current = db.session.execute(select(Counter.value).where(Counter.name == name)).scalar_one()
    barrier.wait(10)  # every request has read before any writes: the race, made certain
    db.session.execute(update(Counter).where(Counter.name == name).values(value=current + 1))
    db.session.commit()


def atomic_increment(name: str, barrier: threading.Barrier) -> None:
    barrier.wait(10)
    counters.increment(name)


@pytest.mark.parametrize(
    ("increment", "loses_updates"), [(atomic_increment, False), (naive_increment, True)]
)
def test_the_same_race_loses_updates_only_in_read_modify_write(
    make_app: Callable[..., Flask], increment, loses_updates: bool
) -> None:
    app = make_app(DB_POOL_SIZE=CLIENTS)
    barrier = threading.Barrier(CLIENTS)
    name = fresh_name()

    @app.post("/test/increment")
    def increment_view():
        increment(name, barrier)
        return ""

    with app.app_context():
        counters.increment(name)

    successes = hammer(app, "/test/increment", CLIENTS)

    with app.app_context():
        final = counters.current_value(name) - 1
    assert successes == CLIENTS
    assert (final < successes) == loses_updates, (final, successes)
