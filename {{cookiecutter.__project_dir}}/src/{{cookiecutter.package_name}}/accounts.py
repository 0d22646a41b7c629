"""Accounts: a name compared case-insensitively and a password kept as an Argon2id hash.

No database connection is held while a password is hashed (tens of milliseconds, and
longer while the hashing slots are busy): each statement runs alone, in autocommit, one
round trip, and its connection goes back to the pool before a hash is computed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import Field, StringConstraints
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from .machinery.extensions import single_statement
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
    row = {"username": name, "password_hash": password_hash, "created_at": datetime.now(UTC)}
    try:
        with single_statement() as connection:
            connection.execute(insert(Account).values(**row))
    except IntegrityError:
        raise UsernameTaken(name) from None
    return name


def _stored_hash(name: str) -> str | None:
    with single_statement() as connection:  # back to the pool before any hashing
        query = select(Account.password_hash).where(Account.username == name)
        return connection.execute(query).scalar_one_or_none()


def _replace_hash(name: str, old_hash: str, new_hash: str) -> bool:
    # The old hash is named in the WHERE clause: of two changes made at once, one wins and
    # the other changes nothing, rather than the later write silently undoing the earlier.
    statement = (
        update(Account)
        .where(Account.username == name, Account.password_hash == old_hash)
        .values(password_hash=new_hash)
    )
    with single_statement() as connection:
        return connection.execute(statement).rowcount == 1


def authenticate(username: str, password: str) -> str | None:
    """The account's name if the password is right; None, in the same time, if it is not or
    if there is no such account."""
    name = canonical(username)
    stored = _stored_hash(name)
    if not passwords().verify(stored, password):
        return None
    if passwords().needs_rehash(stored):
        # Made with other parameters than today's: replaced while the password is at hand.
        _replace_hash(name, stored, passwords().hash(password))
    return name


def change_password(username: str, current_password: str, new_password: str) -> bool:
    """Replace the password if `current_password` is right; False if it is not, or if
    another change won meanwhile."""
    stored = _stored_hash(username)
    if not passwords().verify(stored, current_password):
        return False
    return _replace_hash(username, stored, passwords().hash(new_password))
