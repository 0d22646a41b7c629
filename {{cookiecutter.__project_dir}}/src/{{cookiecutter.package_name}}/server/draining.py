"""The drain on SIGTERM (GUNICORN_DRAIN_SECONDS), wherever the signal arrives.

A load balancer needs a stopping instance to keep serving while it reports not-ready, until
the balancer's checks have taken it out. gunicorn has no such setting, so the master's SIGTERM
handler is replaced: it raises the draining flag (/readyz answers 503), keeps serving for the
drain, then stops as usual, sending SIGTERM to its workers.

Compose and Kubernetes signal the master alone. systemd's default (`KillMode=control-group`),
`kill -TERM -<pgid>` and some supervisors signal every process of the service at once. Then
each worker gets SIGTERM too, and gunicorn's own handler stops it taking connections at once,
while the master is still draining and does not replace it. Connections then wait in the
listening socket's queue, unserved, until the master stops and they are cut. So a worker's
SIGTERM handler waits out whatever is left of the drain, measured from the flag's time, before
it stops: under the master's signal alone that is nothing, and a second SIGTERM stops it at
once. (A worker signalled alone, the master untouched, also serves the drain's length before
it stops, and the master then replaces it as usual.)
"""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any


def drain_master_before_stop(server: Any, seconds: float, flag: Path) -> None:
    """Replace the master's SIGTERM handling: flag, serve `seconds` more, then stop. It sleeps
    in the master's loop, which a drain of a few seconds can afford."""
    stop = server.handle_term

    def drain_then_stop() -> None:
        flag.touch()
        server.log.info("Draining for %s s before stopping", seconds)
        time.sleep(seconds)
        stop()

    server.handle_term = drain_then_stop


def drain_left(seconds: float, flag: Path) -> float:
    """Seconds of the drain still to run: all of it if the master has not raised the flag
    yet (both were signalled at once), none once it has run its course."""
    try:
        began = flag.stat().st_mtime
    except FileNotFoundError:
        return seconds
    return max(0.0, seconds - (time.time() - began))


def drain_worker_before_stop(worker: Any, seconds: float, flag: Path) -> None:
    """Replace a worker's SIGTERM handling: keep serving for what is left of the drain, then
    stop as gunicorn would. The delay is an interval timer (SIGALRM), not a thread: a signal
    handler may not block, which starting a thread does under gevent, and a signal wakes the
    worker's loop under every worker class. A second SIGTERM meanwhile stops it at once."""
    stop = worker.handle_exit

    def handle_term(signum: int, frame: Any) -> None:
        left = drain_left(seconds, flag)
        if left <= 0 or signal.getitimer(signal.ITIMER_REAL)[0] > 0:
            stop(signum, frame)
            return
        worker.log.info("Worker draining for %.1f s before stopping", left)
        signal.setitimer(signal.ITIMER_REAL, left)

    def drained(_signum: int, frame: Any) -> None:
        stop(signal.SIGTERM, frame)

    signal.signal(signal.SIGALRM, drained)
    signal.signal(signal.SIGTERM, handle_term)
    # As gunicorn sets it for SIGTERM: a signal must not interrupt a request's system calls.
    for signum in (signal.SIGTERM, signal.SIGALRM):
        signal.siginterrupt(signum, False)
