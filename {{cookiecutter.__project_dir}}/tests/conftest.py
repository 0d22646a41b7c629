"""Fixtures: every test runs against real Redis and the project's real database.

TEST_REDIS_URL and TEST_DATABASE_URL point elsewhere than the local defaults. A missing
server fails the run with a message; it is never skipped.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from redis import Redis

from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.machinery import baked
from {{ cookiecutter.package_name }}.machinery.extensions import db

from .support.common import TEST_SECRET_KEY, temporary_postgres_database
from .support.live_server import LiveServer, start
from .support.migration_runs import upgrade_in_process

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def redis_url() -> str:
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except Exception as error:
        pytest.fail(f"Redis is not reachable at {REDIS_URL} (set TEST_REDIS_URL): {error}")
    finally:
        client.close()
    return REDIS_URL


@contextlib.contextmanager
def empty_database(directory: Path) -> Iterator[str]:
    """A database of the project's kind with nothing in it, dropped afterwards."""
    if baked.DATABASE == "postgresql":
        with temporary_postgres_database(POSTGRES_ADMIN_URL) as url:
            yield url
    else:
        yield f"sqlite:///{directory / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[str]:
    """The run's database, built by the migrations as production builds it."""
    with empty_database(tmp_path_factory.mktemp("db")) as url:
        upgrade_in_process(url, redis_url)
        yield url


@pytest.fixture
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """A database of this test's own, without even the migrations applied."""
    with empty_database(tmp_path) as url:
        yield url


def dispose_engines(app: Flask) -> None:
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def key_prefix(redis_client: Redis) -> Iterator[str]:
    """A session key namespace of this test's own, removed afterwards."""
    prefix = f"test-{uuid.uuid4().hex}:"
    yield prefix
    for key in redis_client.scan_iter(match=f"{prefix}*"):
        redis_client.delete(key)


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def make_app(database_url: str, redis_url: str, key_prefix: str) -> Iterator[Callable[..., Flask]]:
    made: list[Flask] = []

    def make(**overrides: object) -> Flask:
        config = {
            "APP_ENV": "testing",
            "SECRET_KEY": TEST_SECRET_KEY,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SESSION_KEY_PREFIX": key_prefix,
            "CACHE_KEY_PREFIX": f"{key_prefix}cache:",
            "THROTTLE_KEY_PREFIX": f"{key_prefix}throttle:",
            **overrides,
        }
        app = create_app(config)
        made.append(app)
        return app

    yield make
    for app in made:
        dispose_engines(app)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture(scope="module")
def live_settings(database_url: str, redis_url: str, tmp_path_factory) -> dict:
    """What a live server of this test module needs: a key prefix and a log folder."""
    return {
        "database_url": database_url,
        "redis_url": redis_url,
        "key_prefix": f"live-{uuid.uuid4().hex}:",
        "logs": tmp_path_factory.mktemp("gunicorn-logs"),
    }


@pytest.fixture(scope="module")
def server(live_settings: dict) -> Iterator[LiveServer]:
    """The service under gunicorn, two workers, its own config. Its log must end clean."""
    with start(live_settings, "service", TEST_TOUCH_DB_AT_LOAD="1") as live:
        yield live
    live.assert_clean_log()
