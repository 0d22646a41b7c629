"""Notes that two clients can edit at once without losing either's change.

A change names the version it was made against (the client's If-Match), and the version is
compared in the UPDATE or DELETE itself: `WHERE id = :id AND version IN (:seen)`. Under
PostgreSQL a second UPDATE of the row waits for the first to commit, then checks its WHERE
clause again against the new row, and SQLite lets one writer in at a time, so compare and
write are one step. Read, compare in Python, then write, and two clients that both read
version 3 both write: one change is lost (tests/concurrency/test_notes_under_gunicorn.py).

Pages are keyset pages on (created_at, id): each page starts after the last row of the one
before, so notes inserted meanwhile neither shift nor repeat the older ones, as OFFSET would.

A note is its author's alone: every query names the author, so another user's note is
found by none of them, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, exists, insert, select, tuple_, update

from .machinery.extensions import db
from .models import Note

FIRST_VERSION = 1
ANY_VERSION = None  # If-Match: * matches whatever version the note has


def _now() -> datetime:
    return datetime.now(UTC)


def create(author: str, title: str, body: str) -> Note:
    now = _now()
    note = db.session.execute(
        insert(Note)
        .values(
            author=author,
            title=title,
            body=body,
            version=FIRST_VERSION,
            created_at=now,
            updated_at=now,
        )
        .returning(Note)
    ).scalar_one()
    db.session.commit()
    return note


def find(author: str, note_id: int) -> Note | None:
    query = select(Note).where(Note.id == note_id, Note.author == author)
    return db.session.execute(query).scalar_one_or_none()


def note_exists(author: str, note_id: int) -> bool:
    condition = exists().where(Note.id == note_id, Note.author == author)
    return db.session.execute(select(condition)).scalar_one()


def _matching(author: str, note_id: int, versions: Collection[int] | None) -> list[Any]:
    conditions = [Note.id == note_id, Note.author == author]
    if versions is not ANY_VERSION:
        conditions.append(Note.version.in_(versions))
    return conditions


def change(
    author: str, note_id: int, versions: Collection[int] | None, changes: dict[str, str]
) -> Note | None:
    """Apply `changes` if the note is at one of `versions`; None if it is not (or is gone)."""
    note = db.session.execute(
        update(Note)
        .where(*_matching(author, note_id, versions))
        .values(**changes, version=Note.version + 1, updated_at=_now())
        .returning(Note),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()
    db.session.commit()
    return note


def remove(author: str, note_id: int, versions: Collection[int] | None) -> bool:
    """Delete the note if it is at one of `versions`; False if it is not (or is gone)."""
    deleted = db.session.execute(
        delete(Note).where(*_matching(author, note_id, versions)).returning(Note.id),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()
    db.session.commit()
    return deleted is not None


def page_after(
    author: str, position: tuple[datetime, int] | None, limit: int
) -> tuple[list[Note], bool]:
    """Up to `limit` of the author's notes after `position`, oldest first, and whether more
    follow."""
    query = (
        select(Note)
        .where(Note.author == author)
        .order_by(Note.created_at, Note.id)
        .limit(limit + 1)
    )
    if position is not None:
        query = query.where(tuple_(Note.created_at, Note.id) > tuple_(*position))
    notes = list(db.session.execute(query).scalars())
    return notes[:limit], len(notes) > limit
