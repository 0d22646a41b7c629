"""Liveness never touches a dependency; readiness names the one that fails, in time."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from {{ cookiecutter.package_name }} import create_app

from ..support.common import free_port, unreachable_database_url


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP port that accepts connections and never answers: a hung dependency."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    listener.close()


def test_healthz_is_ok(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_needs_neither_database_nor_redis() -> None:
    dead = create_app(
        {
            "APP_ENV": "testing",
            "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
            "DATABASE_URL": unreachable_database_url(),
        }
    )
    client = dead.test_client()
    client.set_cookie("session", "a-session-id-that-would-need-redis")
    started = time.monotonic()
    assert client.get("/healthz").status_code == 200
    assert time.monotonic() - started < 0.5


def test_readyz_reports_every_check(client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


def test_readyz_names_a_dead_redis(make_app) -> None:
    client = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0").test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["checks"] == {"database": "ok", "redis": "error"}
    assert "redis" in body["error"]["message"]


def test_readyz_answers_in_time_when_a_dependency_hangs(make_app, silent_server: str) -> None:
    client = make_app(REDIS_URL=silent_server, REDIS_SOCKET_TIMEOUT=30).test_client()
    started = time.monotonic()
    response = client.get("/readyz")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"] == "timeout"
    assert elapsed < 2.0, elapsed
