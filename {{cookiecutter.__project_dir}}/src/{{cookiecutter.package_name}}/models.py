"""The team's database tables; a change here needs a migration (README: Changing the schema)."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .machinery.column_types import UTCDateTime
from .machinery.extensions import db


class Counter(db.Model):
    __tablename__ = "counter"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, nullable=False)


class Note(db.Model):
    """The sample resource: `version` rises by one with every change, and a change names
    the version it was made against (README: The notes resource)."""

    __tablename__ = "note"
    __table_args__ = (
        # Keyset pagination walks an author's (created_at, id) in order: one index serves
        # every page.
        Index("ix_note_author_created_at_id", "author", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )  # SQLite numbers rows by itself only for an INTEGER primary key
    # The account's name. Notes written before accounts existed have none: nobody sees them.
    author: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("account.username", ondelete="CASCADE")
    )
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class Account(db.Model):
    """A user who logs in with a password; only its Argon2id hash is kept (accounts.py)."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )  # SQLite numbers rows by itself only for an INTEGER primary key
    # Kept in lower case, so the unique constraint compares names case-insensitively.
    username: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
