"""A pooled PostgreSQL connection that the server ended while it sat idle is replaced before
a request uses it, without the round trip that pool_pre_ping would send on every checkout
(stale_connections.py)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import psycopg
import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import make_url

from {{ cookiecutter.package_name }}.machinery import stale_connections
from {{ cookiecutter.package_name }}.machinery.extensions import db

ONE_CONNECTION = {"DB_POOL_SIZE": 1, "DB_MAX_OVERFLOW": 0}


def plain_url(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(False)


def end_the_pooled_connection(app: Flask, database_url: str) -> None:
    """Ends the app's one pooled connection from the server's side, as a restart, a failover
    or pg_terminate_backend would, and waits until its farewell has reached the socket."""
    with app.app_context(), db.engine.connect() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        dbapi_connection = connection.connection.dbapi_connection
    with psycopg.connect(plain_url(database_url), autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
    deadline = time.monotonic() + 5
    while not stale_connections.has_input_waiting(dbapi_connection):
        assert time.monotonic() < deadline, "the ended connection never became readable"
        time.sleep(0.01)


def increment(app: Flask, name: str):
    return app.test_client().post(f"/api/counters/{name}")


def test_a_connection_the_server_ended_is_replaced_before_use(
    make_app: Callable[..., Flask], database_url: str
) -> None:
    app = make_app(**ONE_CONNECTION)
    name = f"stale-{uuid.uuid4().hex[:8]}"
    assert increment(app, name).get_json() == {"name": name, "value": 1}
    end_the_pooled_connection(app, database_url)
    assert increment(app, name).get_json() == {"name": name, "value": 2}


def test_without_the_check_the_same_request_fails(
    make_app: Callable[..., Flask], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The broken variant: no pre-ping and no check, so the dead connection reaches a query."""
    app = make_app(**ONE_CONNECTION)
    end_the_pooled_connection(app, database_url)
    monkeypatch.setattr(stale_connections, "has_input_waiting", lambda *_: False)
    response = increment(app, f"stale-{uuid.uuid4().hex[:8]}")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "database_unavailable"
