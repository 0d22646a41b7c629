"""Counters incremented atomically in the database.

Read-modify-write in Python loses updates under concurrency (measured: 1 of 10 survived
with 10 threads). One INSERT ... ON CONFLICT DO UPDATE ... RETURNING is atomic in both
PostgreSQL and SQLite, creates the counter at 1, and needs no lock or retry.
"""

from __future__ import annotations

from sqlalchemy import Insert, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from .machinery.extensions import db, single_statement
from .models import Counter


def _upsert(insert) -> Insert:
    return (
        insert(Counter)
        .values(name=bindparam("name"), value=1)
        .on_conflict_do_update(
            index_elements=[Counter.name], set_={"value": Counter.__table__.c.value + 1}
        )
        .returning(Counter.value)
    )


# Built once, the name a parameter: a statement object keeps its cache key, so running it
# again skips building, traversing and hashing it. Building it per request cost about a
# tenth of the benchmark mix's CPU per request.
POSTGRESQL_UPSERT = _upsert(postgresql.insert)
SQLITE_UPSERT = _upsert(sqlite.insert)
CURRENT_VALUE = select(Counter.value).where(Counter.name == bindparam("name"))
REMOVE = delete(Counter).where(Counter.name == bindparam("name")).returning(Counter.name)
# The most a client may ask of the top list; the cached list always holds this many.
TOP_LIMIT = 50
# Every row is read and sorted: an aggregate that grows with the table, worth caching.
TOP = select(Counter.name, Counter.value).order_by(Counter.value.desc(), Counter.name)


def increment(name: str) -> int:
    upsert = POSTGRESQL_UPSERT if db.engine.dialect.name == "postgresql" else SQLITE_UPSERT
    with single_statement() as connection:
        return connection.execute(upsert, {"name": name}).scalar_one()


def current_value(name: str) -> int | None:
    with single_statement() as connection:
        return connection.execute(CURRENT_VALUE, {"name": name}).scalar()


def remove(name: str) -> bool:
    with single_statement() as connection:
        return connection.execute(REMOVE, {"name": name}).first() is not None


def top(limit: int = TOP_LIMIT) -> list[dict]:
    """The counters with the largest values, largest first (ties by name)."""
    with single_statement() as connection:
        rows = connection.execute(TOP.limit(limit))
        return [{"name": name, "value": value} for name, value in rows]
