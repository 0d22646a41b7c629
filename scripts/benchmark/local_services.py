"""The local Redis and PostgreSQL: a database of the run's own, its schema, and cleanup."""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from .baking import BakedService
from .processes import BenchmarkError, environment, run_checked

HOST = "127.0.0.1"
REDIS_URL = f"redis://{HOST}:6379/0"
POSTGRES_ADMIN_URL = f"postgresql://postgres@{HOST}:5432/postgres"
POSTGRES_APP_URL = f"postgresql+psycopg://postgres@{HOST}:5432/{{database}}"
DELETE_REDIS_KEYS = Path(__file__).resolve().with_name("delete_redis_keys.py")


def psql(sql: str, database: str = "postgres", timeout: float = 60) -> None:
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"
    run_checked(["psql", url, "-v", "ON_ERROR_STOP=1", "-qc", sql], timeout=timeout)


@contextlib.contextmanager
def temporary_database() -> Iterator[str]:
    """A fresh database for this run, dropped afterwards whatever happened."""
    name = f"bench_{os.getpid()}_{secrets.token_hex(4)}"
    psql(f"CREATE DATABASE {name}")
    try:
        yield POSTGRES_APP_URL.format(database=name)
    finally:
        # FORCE: a server killed mid-request may leave a connection behind.
        psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def delete_sessions(service: BakedService, prefixes: Sequence[str]) -> None:
    """Remove this run's sessions; a failure here is reported, not raised over another."""
    # Through the service's own redis client: this script's environment has none.
    command = [str(service.executable("python")), str(DELETE_REDIS_KEYS), REDIS_URL, *prefixes]
    try:
        run_checked(command, env=environment())
    except BenchmarkError as error:
        print(f"warning: sessions under {prefixes} were not deleted: {error}", file=sys.stderr)


def seed_counters(database_url: str, count: int) -> None:
    """`count` counters named seed-1 ... seed-N, valued above any count the mix reaches, so
    that they lead the top list: a table whose top list is worth caching."""
    psql(
        "INSERT INTO counter (name, value) SELECT 'seed-' || n, 1000000000 + n"
        f" FROM generate_series(1, {count}) AS n ON CONFLICT (name) DO NOTHING",
        database=database_url.rsplit("/", 1)[1],
        timeout=120,
    )


def upgrade_schema(service: BakedService, env: dict[str, str]) -> None:
    """The production schema step, through the service's own migrations."""
    run_checked(
        [str(service.executable("flask")), "--app", service.package, "db", "upgrade"],
        cwd=service.project,
        env=env,
    )
