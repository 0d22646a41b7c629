"""The wait for a database connection, bounded, and refused at once when it would be long.

Under gevent a worker takes far more requests at once than its pool has connections (200
connections, DB_POOL_SIZE at most 10): past capacity the queue is the pool's, and
SQLAlchemy's QueuePool lets each request wait DB_POOL_TIMEOUT for a connection, run late or
fail. This pool foresees a checkout's wait when every connection is out: the checkouts
waiting already and this one, times how long a connection has lately been held, over the
connections there are. Past half of DB_POOL_TIMEOUT it refuses at once rather than wait;
one that waits all of it is refused then. gunicorn.conf.py sets DB_POOL_TIMEOUT to the
queue's budget, and both refusals answer 503 `overloaded` with Retry-After (errors.py).
Under sync and gthread the pool covers a worker's threads, so nothing waits here.

SQLAlchemy has no hook before a checkout waits, so this overrides QueuePool's `_do_get` and
`_do_return_conn`, which its documentation names as what a pool implementation provides.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool

# How much of the recent hold time the last checkout's own makes: a moving average that
# follows a change of load within a few dozen checkouts.
RECENT_WEIGHT = 0.1


class PoolOverloaded(PoolTimeoutError):
    """A checkout that would wait too long, refused before it waits."""


class AdmittingQueuePool(QueuePool):
    def __init__(
        self,
        creator: Any,
        pool_size: int = 5,
        max_overflow: int = 10,
        timeout: float = 30.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(creator, pool_size, max_overflow, timeout, **kwargs)
        self._connections = pool_size + max_overflow if max_overflow >= 0 else None
        self._refuse_past = timeout / 2
        self._counts = threading.Lock()
        self._waiting = 0
        self._held_since: dict[int, float] = {}
        self._hold_seconds = 0.0

    def _foreseen_wait(self, now: float) -> float:
        if self._connections is None or len(self._held_since) < self._connections:
            return 0.0  # a connection is free, or one can be opened
        # When load begins the average is still the quiet time's: a connection held for
        # longer than it says is the better guess.
        longest = now - min(self._held_since.values())
        held = max(self._hold_seconds, longest)
        return (self._waiting + 1) * held / self._connections

    def _do_get(self) -> ConnectionPoolEntry:
        with self._counts:
            foreseen = self._foreseen_wait(time.monotonic())
            if foreseen > self._refuse_past:
                raise PoolOverloaded(f"a connection foreseen in {foreseen:.2f} s")
            self._waiting += 1
        try:
            entry = super()._do_get()
        finally:
            with self._counts:
                self._waiting -= 1
        with self._counts:
            self._held_since[id(entry)] = time.monotonic()
        return entry

    def _do_return_conn(self, record: ConnectionPoolEntry) -> None:
        with self._counts:
            since = self._held_since.pop(id(record), None)
            if since is not None:
                held = time.monotonic() - since
                self._hold_seconds += RECENT_WEIGHT * (held - self._hold_seconds)
        super()._do_return_conn(record)
