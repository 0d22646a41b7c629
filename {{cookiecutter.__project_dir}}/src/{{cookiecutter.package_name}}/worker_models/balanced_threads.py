"""gunicorn's threaded worker, leaving a connection to a worker with a thread free.

Every worker watches the one listening socket, and gunicorn's gthread worker accepts
whenever it holds fewer than worker_connections (1000) connections, handing each to its
thread pool at once. When clients connect together (a load balancer's pool, a client's
keep-alive connections) one worker can take them all: its threads queue the requests
while the other workers' threads idle, and a keep-alive connection never moves. Measured
with 16 keep-alive clients of a view that waits 50 ms: half the throughput and twice the
latency in about half the runs.

Here a worker whose threads are all taken stops accepting for a pause after each
connection it takes (GUNICORN_BUSY_PAUSE_MS, read by gunicorn.conf.py), so that a worker
with a thread free takes the next ones. The pause ends on the main loop's next turn after
it, which a finished request brings at once and nothing delays past a second; a
connection this worker took meanwhile would have waited for a thread anyway. It never
stops for longer: when no other worker can take a connection (it is being replaced, or as
busy), one left in the listen queue waited there for seconds while this worker stopped
accepting until a thread freed. gunicorn has no setting for this, so the worker is
subclassed; tests/concurrency/test_thread_balance.py shows the stock worker's imbalance.
"""

from __future__ import annotations

import os
import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker


class BalancedThreadWorker(ThreadWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Connections handed to the thread pool and not yet finished, new and kept alive
        # alike, and when a busy worker may accept again. Touched by the worker's main loop
        # only: gunicorn defers finish_request to it.
        self.connections_in_pool = 0
        self.busy_pause_ends = 0.0
        self.busy_pause_seconds = int(os.environ["GUNICORN_BUSY_PAUSE_MS"]) / 1000

    def accept(self, listener: Any) -> None:
        super().accept(listener)
        if self.connections_in_pool >= self.cfg.threads:
            self.busy_pause_ends = time.monotonic() + self.busy_pause_seconds
        self._review_accepting()

    def enqueue_req(self, conn: Any) -> None:
        self.connections_in_pool += 1
        super().enqueue_req(conn)

    def finish_request(self, conn: Any, fs: Any) -> None:
        self.connections_in_pool -= 1
        super().finish_request(conn, fs)
        self._review_accepting()

    def set_accept_enabled(self, enabled: bool) -> None:
        # gunicorn's main loop calls this on every turn while its own condition (alive, under
        # worker_connections) differs from the current state: a pause ends on the next turn.
        busy = self.connections_in_pool >= self.cfg.threads
        paused = busy and time.monotonic() < self.busy_pause_ends
        super().set_accept_enabled(enabled and not paused)

    def _review_accepting(self) -> None:
        self.set_accept_enabled(self.alive and self.nr_conns < self.worker_connections)
