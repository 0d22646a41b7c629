"""One migration run at a time per database.

Replicas that each run `flask db upgrade` as they start would otherwise race: two read the
same version, then both create the same table (one fails) or both move alembic_version (two
rows, two heads). migrations/env.py holds this lock around the whole run, and Alembic reads
the current version only once it holds it, so every later run finds the work done.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import zlib
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection

# Alembic's logger: the wait is reported wherever Alembic's own progress lines go.
log = logging.getLogger("alembic.runtime.migration")
# Any fixed number will do, as long as every replica of this service uses the same one: the
# CRC-32 of "<package>.migration_lock", this module's name before it moved into machinery/,
# so that releases made before and after the move still wait for each other.
ADVISORY_LOCK_KEY = zlib.crc32(f"{__name__.split('.')[0]}.migration_lock".encode())


@contextlib.contextmanager
def migration_lock(connection: Connection) -> Iterator[None]:
    """Hold the database's migration lock; take it inside the migration transaction."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        _postgres_transaction_lock(connection)
        yield
    elif dialect == "sqlite":
        with _file_lock(Path(f"{connection.engine.url.database}.migration-lock")):
            yield
    else:
        raise RuntimeError(f"no migration lock for {dialect}")


def _postgres_transaction_lock(connection: Connection) -> None:
    """An advisory lock that PostgreSQL itself releases at commit or rollback: a run that
    crashes or loses its connection cannot leave it held."""
    if not connection.in_transaction():
        raise RuntimeError("take the migration lock inside the migration transaction")
    key = {"key": ADVISORY_LOCK_KEY}
    if not connection.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), key).scalar():
        log.info("Another migration run holds the lock; waiting for it to finish")
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), key)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """SQLite has no lock that spans Alembic's separate DDL statements, so a file beside the
    database is locked instead. flock, not a lock-file library: the kernel drops the lock
    when its process dies, so nothing stale is ever left to clean up."""
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("Another migration run holds the lock; waiting for it to finish")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
