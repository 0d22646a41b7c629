"""The Redis and PostgreSQL of the machine that runs the template's tests."""

from __future__ import annotations

import contextlib
import os
import subprocess
import uuid
from collections.abc import Iterator

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
POSTGRES_ADMIN = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-q", "-c"]


@contextlib.contextmanager
def temporary_postgres_database(prefix: str) -> Iterator[str]:
    """A database of the caller's own, dropped afterwards: a service container's fresh one."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    subprocess.run([*POSTGRES_ADMIN, f'CREATE DATABASE "{name}"'], check=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        subprocess.run([*POSTGRES_ADMIN, f'DROP DATABASE "{name}" WITH (FORCE)'], check=True)
