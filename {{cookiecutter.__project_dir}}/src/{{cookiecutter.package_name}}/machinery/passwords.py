"""Argon2id password hashes that never stall a worker and hold bounded memory.

argon2-cffi computes in C and releases the GIL, so gthread's threads hash in parallel with
the requests around them. Under gevent the call never yields: every greenlet of the worker
would wait for it. There it runs in gevent's thread pool, and the greenlet that asked waits
alone.

Each hash in progress holds its memory cost, so at most PASSWORD_HASH_SLOTS run at once in
a process: slots x PASSWORD_HASH_MEMORY_KIB per worker process is the most hashing ever
takes. A request that waits HASH_SLOT_WAIT_SECONDS for a slot gets the 503 `overloaded`.

An unknown user's password is verified against a dummy hash made with the same parameters,
so neither the answer nor its time tells whether the name exists.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app

from ..worker_models.gevent_state import gevent_is_active
from .errors import APIError
from .settings import Settings

HASH_SLOT_WAIT_SECONDS = 2.0
EXTENSION = "passwords"


def run_off_the_event_loop(function: Callable[..., Any], *args: Any) -> Any:
    """Here in a thread; in gevent's thread pool (a real thread) under gevent."""
    if gevent_is_active():
        import gevent

        return gevent.get_hub().threadpool.apply(function, args)
    return function(*args)


def _matches(hasher: PasswordHasher, stored_hash: str, password: str) -> bool:
    # A mismatch is answered here, in the thread: raised across gevent's thread pool, it
    # would also be printed to stderr as a crash.
    try:
        return hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclasses.dataclass(frozen=True)
class Passwords:
    hasher: PasswordHasher
    dummy_hash: str
    slots: threading.BoundedSemaphore  # gevent's own where gevent has patched threading
    run: Callable[..., Any] = run_off_the_event_loop

    def _in_a_slot(self, function: Callable[..., Any], *args: Any) -> Any:
        if not self.slots.acquire(timeout=HASH_SLOT_WAIT_SECONDS):
            raise APIError(
                503, "overloaded", "This server is busy: retry in a second", **{"Retry-After": "1"}
            )
        try:
            return self.run(function, *args)
        finally:
            self.slots.release()

    def hash(self, password: str) -> str:
        return self._in_a_slot(self.hasher.hash, password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """Whether `password` matches; with no stored hash, False, as slowly as a mismatch."""
        matched = self._in_a_slot(_matches, self.hasher, stored_hash or self.dummy_hash, password)
        return matched and stored_hash is not None

    def needs_rehash(self, stored_hash: str) -> bool:
        """True when the hash was made with other parameters than today's."""
        return self.hasher.check_needs_rehash(stored_hash)


def build_passwords(settings: Settings) -> Passwords:
    hasher = PasswordHasher(
        time_cost=settings.password_hash_time_cost,
        memory_cost=settings.password_hash_memory_kib,
        # One lane: the parallelism is across requests, and a second lane per hash would
        # take a core from the requests around it.
        parallelism=1,
        type=Type.ID,
    )
    return Passwords(
        hasher=hasher,
        dummy_hash=hasher.hash("a password nobody has: it only makes unknown names cost time"),
        slots=threading.BoundedSemaphore(settings.password_hash_slots),
    )


def init_passwords(app: Flask, settings: Settings) -> None:
    app.extensions[EXTENSION] = build_passwords(settings)


def passwords() -> Passwords:
    return current_app.extensions[EXTENSION]
