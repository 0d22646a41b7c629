"""The sync worker past capacity: a request that waited longer than the budget is refused.

A sync worker serves one request at a time, and past capacity requests wait in the listen
queue until a worker is free, for as long as the queue is long, and are then run after
their client has probably gone. This worker answers a JSON 503 `overloaded` with
Retry-After, instead of running it, to a request that has waited longer than
GUNICORN_QUEUE_BUDGET_MS (read by gunicorn.conf.py) when it accepts it, counted from when
the kernel received it (overload.py). The refusal takes a moment, so the queue is cut short
as soon as a worker is free.

What it cannot do is refuse at once: a request waits in the listen queue until a worker is
free, and every worker is busy. Refusals come after about the budget; those that come at
once need the proxy in front (haproxy.cfg's slots), which gunicorn's own documentation
requires of the sync worker anyway. With TLS in gunicorn itself nothing is refused.
"""

from __future__ import annotations

from gunicorn.workers.sync import SyncWorker

from .overload import RefusesWhatWaitedTooLong


class BoundedSyncWorker(RefusesWhatWaitedTooLong, SyncWorker):
    pass
