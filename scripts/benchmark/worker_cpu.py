"""CPU time the gunicorn workers spent, read from /proc: what one request costs the server.

A rate depends on the load's concurrency and on what else the machine does; the CPU time
the workers spend per request answered does not, so two builds of the service are compared
by it (the per-request overhead in microseconds). The master's own time is left out: it
serves no request.
"""

from __future__ import annotations

import os
from pathlib import Path

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(child) for child in path.read_text().split()]
    except OSError:
        return []


def _cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0  # gone: a recycled worker's time is lost, which --max-requests 0 avoids
    # The command name, in parentheses, may hold spaces: count the fields after it.
    fields = stat[stat.rindex(")") + 2 :].split()
    user_ticks, system_ticks = int(fields[11]), int(fields[12])
    return (user_ticks + system_ticks) / TICKS_PER_SECOND


def workers_cpu_seconds(master_pid: int) -> dict[int, float]:
    """Each worker's CPU time so far, by pid."""
    return {pid: _cpu_seconds(pid) for pid in _children(master_pid)}


def spent_since(master_pid: int, before: dict[int, float]) -> float:
    """CPU seconds the workers spent since `before` (a worker started since counts whole)."""
    now = workers_cpu_seconds(master_pid)
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in now.items())
