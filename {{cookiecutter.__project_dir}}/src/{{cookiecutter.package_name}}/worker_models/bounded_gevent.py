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

from gunicorn.workers.ggevent import GeventWorker

from .overload import RefusesWhatWaitedTooLong


class BoundedGeventWorker(RefusesWhatWaitedTooLong, GeventWorker):
    """Each connection has a greenlet of its own here, so the peek at a request's first bytes
    (overload.seconds_since_data) waits for them, if none came with the connection, without
    holding up anything else."""
