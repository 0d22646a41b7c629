"""The threads that hash passwords: PASSWORD_HASH_SLOTS of them in each process, whatever
the worker model.

A hash takes PASSWORD_HASH_MEMORY_KIB at once, and glibc's allocator keeps what a thread
freed in that thread's arena for its next allocation. Hashed in the requests' own threads,
a gthread worker whose threads had each hashed once kept threads x 19 MiB, however few
hashed at once (eight threads, argon2-cffi alone: 152 MiB kept). Hashed only here, a
process keeps at most slots x the memory cost, and reuses it. Giving the memory back after
each hash instead (a fixed mmap threshold) made a hash 60% slower.

Under gevent these are gevent's own kind of thread pool, real threads: the greenlet that
asks waits alone while the event loop runs on. Elsewhere, concurrent.futures'. A process
makes its pool when it first hashes: gunicorn's master builds the app and then forks, and
threads do not survive a fork.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..worker_models.gevent_state import gevent_is_active

Runner = Callable[..., Any]


def _new_pool(size: int) -> Runner:
    """A call that runs `function(*args)` in one of `size` threads and returns its result."""
    if gevent_is_active():
        from gevent.threadpool import ThreadPool

        pool = ThreadPool(size)
        return lambda function, *args: pool.apply(function, args)
    executor = ThreadPoolExecutor(size, thread_name_prefix="password-hash")
    return lambda function, *args: executor.submit(function, *args).result()


class HashingThreads:
    """Runs a function in this process's hashing threads, made on first use."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._making = threading.Lock()  # gevent's own where gevent has patched threading
        self._pool: Runner | None = None
        self._pool_pid = 0

    def __call__(self, function: Callable[..., Any], *args: Any) -> Any:
        return self._pool_of_this_process()(function, *args)

    def _pool_of_this_process(self) -> Runner:
        with self._making:
            if self._pool is None or self._pool_pid != os.getpid():
                self._pool, self._pool_pid = _new_pool(self.size), os.getpid()
            return self._pool
