"""Helpers shared by the tests: a throwaway PostgreSQL database, free ports, session ids."""

from __future__ import annotations

import contextlib
import socket
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy.engine import make_url

TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"
SESSION_COOKIE = "session"
TEST_PASSWORD = "correct horse battery staple"


@contextlib.contextmanager
def temporary_postgres_database(admin_url: str) -> Iterator[str]:
    """A database of this test run's own, so parallel runs never share tables."""
    import psycopg

    url = make_url(admin_url)
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def unreachable_database_url() -> str:
    """A database URL of the project's kind that nothing answers."""
    from {{ cookiecutter.package_name }}.machinery import baked

    if baked.DATABASE == "postgresql":
        return f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing"
    return "sqlite:////proc/no-such-directory/database.sqlite3"


def session_id(response) -> str | None:
    """The session id a response sets, or None when it sets no session cookie."""
    for header in response.headers.getlist("Set-Cookie"):
        name, _, rest = header.partition("=")
        if name == SESSION_COOKIE:
            return rest.split(";", 1)[0]
    return None


def log_in(post: Callable[..., Any], username: str, password: str = TEST_PASSWORD) -> Any:
    """Sign `username` up (unless a test before did) and log in; the login's response.

    `post(path, json=...)` is a Flask test client's post, or one that sends to a live server
    (log_in_over_http)."""
    account = {"username": username, "password": password}
    created = post("/api/accounts", json=account)
    assert created.status_code in (201, 409), created.text
    return post("/api/session/login", json=account)


def log_in_over_http(
    http: Any, url: Callable[[str], str], username: str, password: str = TEST_PASSWORD, **options
) -> Any:
    """log_in against a live server: `http` a requests session, `url` the server's url()."""
    return log_in(lambda path, **body: http.post(url(path), **body, **options), username, password)
