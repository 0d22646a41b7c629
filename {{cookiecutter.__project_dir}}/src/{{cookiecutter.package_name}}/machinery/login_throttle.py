"""Failed logins counted exactly, across every worker and instance, in the sessions' Redis.

A limit checked before the password and counted after it lets a burst through: every
request of the burst passes the check before the first one counts. Here an attempt first
takes its place in the window, in one Redis script (limits' moving window, exact), and only
then is the password checked; a login that succeeds gives its place back, and so does one
that could not be checked at all (an outage, every hashing slot busy). Forty wrong
passwords sent at once get exactly the limit's number of 401s. While a right password holds
a place, a wrong one may be refused that would have passed a moment later: never more.

Two limits: failed logins per account (LOGIN_ACCOUNT_LIMIT) and per client address
(LOGIN_ADDRESS_LIMIT; behind trusted proxies, the client's own: machinery/proxies.py).
With Redis down an attempt cannot be counted: the Redis error becomes the 503 of any Redis
outage (errors.py), never an unthrottled login. Without REDIS_URL (development only) the
counts are kept in each process's memory.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from collections.abc import Iterator

from flask import Flask, current_app, request
from limits import RateLimitItem
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter

from .errors import APIError
from .sessions import session_redis
from .settings import Settings

EXTENSION = "login_throttle"
# What a route that takes a place declares for its 429 (the login, the password change).
TOO_MANY_ATTEMPTS = "Too many failed logins for this account or from this address; see Retry-After"


@dataclasses.dataclass
class Place:
    """The places one attempt took in the windows, and whether its password was wrong."""

    keys: tuple[str, ...]
    failed: bool = False

    def fail(self) -> None:
        """The password was checked and is wrong: the place stays taken."""
        self.failed = True


class LoginThrottle:
    def __init__(self, storage: RedisStorage | MemoryStorage, settings: Settings) -> None:
        self.storage = storage
        self._limiter = MovingWindowRateLimiter(storage)
        self.limits: tuple[tuple[str, RateLimitItem], ...] = (
            ("address", settings.login_address_limit),
            ("account", settings.login_account_limit),
        )

    @contextlib.contextmanager
    def attempt(self, username: str) -> Iterator[Place]:
        """A login attempt's place, given back unless the attempt calls fail(): after a
        success, and after an attempt that never finished checking (no hashing slot, the
        database down), which is no failed login and must not lock the account."""
        place = self.take_place(username)
        try:
            yield place
        finally:
            if not place.failed:
                self.give_back(place)

    def take_place(self, username: str) -> Place:
        """Count this attempt against both limits, or refuse it with a 429."""
        identities = {"address": request.remote_addr or "unknown", "account": username}
        taken: list[str] = []
        for kind, limit in self.limits:
            if not self._limiter.hit(limit, kind, identities[kind]):
                self._give_back(taken)
                reset_at = self._limiter.get_window_stats(limit, kind, identities[kind]).reset_time
                raise APIError(
                    429,
                    "too_many_attempts",
                    "Too many failed logins: wait before trying again",
                    **{"Retry-After": str(max(1, math.ceil(reset_at - time.time())))},
                )
            taken.append(limit.key_for(kind, identities[kind]))
        return Place(tuple(taken))

    def give_back(self, place: Place) -> None:
        """A login that succeeded, or could not be checked, is no failed login."""
        self._give_back(place.keys)

    def _give_back(self, keys: list[str] | tuple[str, ...]) -> None:
        # limits keeps a moving window as a list, newest first, and has no call that
        # removes one entry: popping the newest leaves the count exact (a later entry than
        # this attempt's own may go, which only makes the window last a little longer).
        if not keys:
            return
        if isinstance(self.storage, RedisStorage):
            with self.storage.get_connection().pipeline(transaction=False) as pipeline:
                for key in keys:
                    pipeline.lpop(self.storage.prefixed_key(key))
                pipeline.execute()  # one round trip for both limits
            return
        for key in keys:
            with self.storage.locks[key]:
                entries = self.storage.events.get(key)
                if entries:
                    entries.pop(0)


def init_login_throttle(app: Flask, settings: Settings) -> None:
    client = session_redis(app)
    if client is None:
        storage: RedisStorage | MemoryStorage = MemoryStorage()
    else:
        storage = RedisStorage(
            "redis://",  # not dialled: the sessions' pool is, with its fail-fast policy
            connection_pool=client.connection_pool,
            key_prefix=settings.throttle_key_prefix.rstrip(":"),
        )
    app.extensions[EXTENSION] = LoginThrottle(storage, settings)


def login_throttle() -> LoginThrottle:
    return current_app.extensions[EXTENSION]
