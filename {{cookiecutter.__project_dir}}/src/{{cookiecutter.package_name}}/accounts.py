"""Accounts: a name compared case-insensitively and a password kept as an Argon2id hash.

No database connection is held while a password is hashed (tens of milliseconds, and
longer while the hashing slots are busy): the account is read, the transaction ends, the
password is checked, and only then is anything written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import Field, StringConstraints
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from .machinery.extensions import db
from .machinery.passwords import passwords
from .models import Account

# Letters are compared in lower case: "Alice" and "alice" are one account.
Username = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{3,64}$"), Field(examples=["alice"])
]
Password = Annotated[str, Field(min_length=8, max_length=128)]


class UsernameTaken(Exception):
    """Another account has this name (in any letter case)."""


def canonical(username: str) -> str:
    return username.lower()


def create(username: str, password: str) -> str:
    """The new account's name, or UsernameTaken."""
    password_hash = passwords().hash(password)
    name = canonical(username)
    try:
        db.session.execute(
            insert(Account).values(
                username=name, password_hash=password_hash, created_at=datetime.now(UTC)
            )
        )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise UsernameTaken(name) from None
    return name


def authenticate(username: str, password: str) -> str | None:
    """The account's name if the password is right; None, in the same time, if it is not or
    if there is no such account."""
    name = canonical(username)
    stored = db.session.execute(
        select(Account.password_hash).where(Account.username == name)
    ).scalar_one_or_none()
    db.session.rollback()  # ends the read: the pooled connection goes back while hashing
    if not passwords().verify(stored, password):
        return None
    if passwords().needs_rehash(stored):
        _rehash(name, stored, password)
    return name


def _rehash(name: str, old_hash: str, password: str) -> None:
    # Today's parameters differ from those the hash was made with. The old hash is named in
    # the WHERE clause: a password changed meanwhile is not overwritten by the old one.
    new_hash = passwords().hash(password)
    db.session.execute(
        update(Account)
        .where(Account.username == name, Account.password_hash == old_hash)
        .values(password_hash=new_hash)
    )
    db.session.commit()


def change_password(username: str, current_password: str, new_password: str) -> bool:
    """Replace the password if `current_password` is right; False if it is not."""
    stored = db.session.execute(
        select(Account.password_hash).where(Account.username == username)
    ).scalar_one_or_none()
    db.session.rollback()
    if not passwords().verify(stored, current_password):
        return False
    new_hash = passwords().hash(new_password)
    changed = db.session.execute(
        update(Account)
        .where(Account.username == username, Account.password_hash == stored)
        .values(password_hash=new_hash)
    ).rowcount
    db.session.commit()
    return changed == 1  # 0: changed meanwhile by another request, which won
