"""The gthread worker past capacity: a wait for a thread bounded in time, refusals at once.

gunicorn's gthread worker hands every connection it accepts to its thread pool, whose queue
has no bound: past capacity, requests wait there as long as the queue is long, and run
after their client or proxy gave up (gunicorn #1976). A proxy can keep the queue instead
(haproxy.cfg's slots); without one, this worker keeps each request's wait for a thread
within a budget (GUNICORN_QUEUE_BUDGET_MS, read by gunicorn.conf.py). A wait counts from
when the kernel received the request's bytes, so that its time in the listen queue, before
gunicorn accepted it, counts too (overload.py).

- A new request that finds every thread busy and would wait longer than half the budget
  (the other half is the margin for a wrong forecast) is refused at once by the worker's
  main loop, without taking a thread. Its wait is foreseen from what is ahead of it: the
  requests already waiting in this worker, times the time a request has recently held a
  thread, shared by the threads. So the rule is in time, not in a count: a burst of quick
  requests may queue deep and be served within milliseconds, while a few slow ones cannot.
- A request that waited longer than the budget all the same is refused when a thread takes
  it, instead of being run after its client has probably gone.
- Once it refuses, the worker accepts without BalancedThreadWorker's pause until a thread
  is free again: what it accepts it refuses at once, while what it left in the listen queue
  would wait there, where no budget is kept.

A refusal is a JSON 503 `overloaded` with Retry-After. It is written before the request is
read (HTTP lets a server answer early and close); the connection is then half-closed and
read until the client closes it, at most a few seconds, so that request bytes left unread
cannot turn the close into a reset that loses the answer. gunicorn has no setting for any
of this, so the worker is subclassed. With TLS in gunicorn itself (certfile) nothing is
refused: the bytes would have to be encrypted, and a proxy terminates TLS in front anyway.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from .balanced_threads import BalancedThreadWorker
from .overload import REFUSAL, queue_budget, seconds_since_data

# How long a refused connection is read, waiting for the client to close it.
DRAIN_SECONDS = 5.0
# The weight of the latest request in the moving average of the time one holds a thread.
THREAD_SECONDS_WEIGHT = 0.2
# handle()'s result for a request that waited past the budget: refused by the main loop.
OVERDUE = object()


class BoundedThreadWorker(BalancedThreadWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue_budget = queue_budget()
        # Touched by the main loop only, as BalancedThreadWorker's counts are: how long a
        # request has recently held a thread (a moving average), whether the worker is
        # refusing until a thread is free, and the refused connections still being read,
        # with when they are closed regardless.
        self.thread_seconds = 0.0
        # When each request holding a thread took it: set by the thread, removed by the main
        # loop (a dict's single operations, a copy among them, are atomic under the GIL).
        self.holding: dict[Any, float] = {}
        self.refusing = False
        self.refused: dict[socket.socket, float] = {}

    def foreseen_wait(self, waited: float) -> float:
        ahead = self.connections_in_pool - self.cfg.threads + 1
        if ahead <= 0:
            return waited
        # The requests holding threads now have held them at least this long: when load
        # begins, before any has finished, that is all there is to go on. The threads add to
        # `holding` meanwhile: iterated in Python code, a thread switch in the middle raised
        # "dictionary changed size during iteration" and ended the worker (a copy is one
        # operation under the GIL).
        now = time.monotonic()
        held = now - min(self.holding.copy().values(), default=now)
        return waited + ahead * max(self.thread_seconds, held) / self.cfg.threads

    def set_accept_enabled(self, enabled: bool) -> None:
        if self.connections_in_pool < self.cfg.threads:
            self.refusing = False
        if self.refusing:  # no pause: what is accepted now is refused at once
            ThreadWorker.set_accept_enabled(self, enabled)
        else:
            super().set_accept_enabled(enabled)

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        # gunicorn's main loop waits for events up to a second, and BalancedThreadWorker's
        # pause ends on its next turn, which a finished request brings. Under load requests
        # finish together, and meanwhile new ones would wait in the listen queue, where no
        # budget is kept: the pause ends on time instead.
        left = self.busy_pause_ends - time.monotonic()
        super().wait_for_and_dispatch_events(min(timeout, left) if left > 0 else timeout)

    def enqueue_req(self, conn: Any) -> None:
        waited = seconds_since_data(conn.sock)
        # With a thread free, only a request already past the budget is refused.
        busy = self.connections_in_pool >= self.cfg.threads
        limit = self.queue_budget / 2 if busy else self.queue_budget
        if self.foreseen_wait(waited) > limit and not self.cfg.is_ssl:
            self.refusing = True
            self.refuse(conn)
            return
        conn.arrived = time.monotonic() - waited
        super().enqueue_req(conn)

    def handle(self, conn: Any) -> Any:
        # In a pool thread: a request that waited too long takes no time of it.
        conn.started = time.monotonic()
        self.holding[conn] = conn.started
        if conn.started - conn.arrived > self.queue_budget and not self.cfg.is_ssl:
            return OVERDUE
        return super().handle(conn)

    def finish_request(self, conn: Any, fs: Any) -> None:
        self.holding.pop(conn, None)
        if not fs.cancelled() and fs.exception() is None and fs.result() is OVERDUE:
            self.connections_in_pool -= 1
            self.refuse(conn)
            self._review_accepting()
            return
        held = time.monotonic() - conn.started
        self.thread_seconds += (held - self.thread_seconds) * THREAD_SECONDS_WEIGHT
        super().finish_request(conn, fs)

    def refuse(self, conn: Any) -> None:
        self.nr_conns -= 1
        sock = conn.sock
        try:
            sock.setblocking(False)
            sock.send(REFUSAL)  # a few hundred bytes: an open socket's buffer takes them
            sock.shutdown(socket.SHUT_WR)
            self.poller.register(sock, selectors.EVENT_READ, self._read_refused)
        except OSError:  # the client has gone already
            sock.close()
            return
        self.refused[sock] = time.monotonic() + DRAIN_SECONDS

    def _read_refused(self, sock: socket.socket) -> None:
        try:
            if sock.recv(65536):
                return
        except BlockingIOError:
            return
        except OSError:
            pass
        self._close_refused(sock)

    def _close_refused(self, sock: socket.socket) -> None:
        self.refused.pop(sock, None)
        with contextlib.suppress(KeyError, ValueError, OSError):  # no longer registered
            self.poller.unregister(sock)
        sock.close()

    def murder_pending(self) -> None:
        # gunicorn's main loop calls this on every turn (at least once a second).
        super().murder_pending()
        now = time.monotonic()
        for sock in [sock for sock, deadline in self.refused.items() if deadline <= now]:
            self._close_refused(sock)
