"""gunicorn's threaded worker, accepting a connection only while it has a thread free.

Every worker watches the one listening socket, and gunicorn's gthread worker accepts
whenever it holds fewer than worker_connections (1000) connections, handing each to its
thread pool at once. When clients connect together (a load balancer's pool, a client's
keep-alive connections) one worker can take them all: its threads queue the requests
while the other workers' threads idle, and a keep-alive connection never moves. Measured
with 16 keep-alive clients of a view that waits 50 ms: half the throughput and twice the
latency in about half the runs. Accepting only with a thread free leaves the connection in
the listen queue for a worker that can serve it now. gunicorn has no setting for this, so
the worker is subclassed; tests/test_thread_balance.py shows the stock worker's imbalance.
"""

from __future__ import annotations

from typing import Any

from gunicorn.workers.gthread import ThreadWorker


class BalancedThreadWorker(ThreadWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Connections handed to the thread pool and not yet finished, new and kept alive
        # alike. Touched by the worker's main loop only: gunicorn defers finish_request
        # to it.
        self.connections_in_pool = 0

    def enqueue_req(self, conn: Any) -> None:
        self.connections_in_pool += 1
        super().enqueue_req(conn)
        self._review_accepting()

    def finish_request(self, conn: Any, fs: Any) -> None:
        self.connections_in_pool -= 1
        super().finish_request(conn, fs)
        self._review_accepting()

    def set_accept_enabled(self, enabled: bool) -> None:
        super().set_accept_enabled(enabled and self.connections_in_pool < self.cfg.threads)

    def _review_accepting(self) -> None:
        # gunicorn's main loop changes accepting only when its own condition (alive, under
        # worker_connections) changes; a thread taken or freed must change it too.
        self.set_accept_enabled(self.alive and self.nr_conns < self.worker_connections)
