"""The gevent worker past capacity: a connection that waited longer than the budget to be
accepted is refused.

A gevent worker holds up to GUNICORN_WORKER_CONNECTIONS connections at once; past that it
stops accepting, and new requests wait in the listen queue, for as long as the queue is
long. This worker answers a JSON 503 `overloaded` with Retry-After, instead of serving it,
to a request that has waited longer than GUNICORN_QUEUE_BUDGET_MS when it is accepted,
counted from when the kernel received it (overload.py), as the sync worker does. Below that
many connections, the queue is the database pool's, and machinery/connection_admission.py
bounds it. With TLS in gunicorn itself nothing is refused.
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn.workers.ggevent import GeventWorker

from .overload import refuse, seconds_since_data


class BoundedGeventWorker(GeventWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue_budget = int(os.environ["GUNICORN_QUEUE_BUDGET_MS"]) / 1000

    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        # Each connection has a greenlet of its own here: waiting for the request's first
        # bytes, if none came with the connection, holds up nothing else.
        if seconds_since_data(client) <= self.queue_budget or self.cfg.is_ssl:
            super().handle(listener, client, addr)
        else:
            refuse(client)
