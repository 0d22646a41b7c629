"""Async views that stay correct under gevent.

Flask runs each async view through asgiref: a new event loop per call, in a thread. Once
gevent has patched threading those "threads" are greenlets on one OS thread, and
overlapping async requests collide ("cannot be called from a running event loop"); a
single request works, so only concurrent traffic shows it. Under gevent this app instead
runs every coroutine on one asyncio loop per worker process, in a real OS thread that
gevent does not manage, and the calling greenlet waits for the result cooperatively.
Without gevent, Flask's own behaviour is kept (see machinery/service_flask.py).
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
from collections.abc import Callable, Coroutine
from typing import Any


class WorkerEventLoop:
    """One asyncio loop per process, started on first use (never before a fork)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid: int | None = None

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                self._loop = self._start()
                self._pid = os.getpid()
            return self._loop

    @staticmethod
    def _start() -> asyncio.AbstractEventLoop:
        from gevent import monkey

        # The unpatched selector and thread: this loop must not run on gevent's hub.
        selector = monkey.get_original("selectors", "DefaultSelector")()
        loop = asyncio.SelectorEventLoop(selector)
        start_new_thread = monkey.get_original("_thread", "start_new_thread")
        start_new_thread(loop.run_forever, ())
        return loop

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        from gevent.event import AsyncResult

        loop = self.loop()
        # Copy the request's context so flask.request, g and current_app work in the task.
        context = contextvars.copy_context()
        result = AsyncResult()  # safe to set from another OS thread

        def settle(task: asyncio.Task) -> None:
            if task.cancelled():
                result.set_exception(asyncio.CancelledError())
            elif task.exception() is not None:
                result.set_exception(task.exception())
            else:
                result.set(task.result())

        def start() -> None:
            loop.create_task(coroutine, context=context).add_done_callback(settle)

        loop.call_soon_threadsafe(start)
        return result.get()


def gevent_async_to_sync(
    event_loop: WorkerEventLoop, func: Callable[..., Coroutine[Any, Any, Any]]
) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        return event_loop.run(func(*args, **kwargs))

    return run
