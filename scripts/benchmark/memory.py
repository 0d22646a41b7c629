"""The memory of a server's workers, sampled while a row runs.

Three figures, each the largest seen across the row's workers:
- peak (VmHWM of /proc/PID/status): the most resident memory a worker ever had. It counts
  every page the worker maps, so pages it shares with the preloaded master (the imported
  code, the app built before the fork) count in full in every worker; adding it up over
  workers overstates what they cost together.
- PSS (Pss of /proc/PID/smaps_rollup): the worker's own pages plus its share of the shared
  ones, each divided by the number of processes mapping it; the PSS of the master and all
  workers adds up to what the server occupies.
- USS (Private_Clean + Private_Dirty of smaps_rollup): the pages only this worker maps,
  about what one more worker adds and what stopping one frees.
PSS and USS are read as the row runs, not peaks the kernel kept, so a short spike between
two samples can be missed.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .servers import worker_pids

SAMPLE_SECONDS = 0.2


@dataclass(frozen=True)
class WorkerMemory:
    """Largest figures in KiB across a row's workers, and how many workers there were."""

    peak_kib: int = 0
    pss_kib: int = 0
    uss_kib: int = 0
    workers_seen: int = 0


def kib_fields(path: Path, names: set[str]) -> dict[str, int] | None:
    """The "Name:  123 kB" lines of a /proc file; None once the process has gone."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return None
    fields = {}
    for line in lines:
        name, separator, value = line.partition(":")
        if separator and name in names:
            fields[name] = int(value.split()[0])
    return fields


def sample(pid: int) -> tuple[int, int, int] | None:
    """(VmHWM, PSS, USS) of one process in KiB, or None if it exited while being read."""
    status = kib_fields(Path(f"/proc/{pid}/status"), {"VmHWM"})
    rollup = kib_fields(
        Path(f"/proc/{pid}/smaps_rollup"), {"Pss", "Private_Clean", "Private_Dirty"}
    )
    if not status or not rollup or len(rollup) < 3:
        return None
    return status["VmHWM"], rollup["Pss"], rollup["Private_Clean"] + rollup["Private_Dirty"]


class WorkerMemorySampler:
    """Samples every worker of a master while the block runs.

    Workers are recycled (max_requests), so one look at the end would miss the ones gone.
    """

    def __init__(self, master: int, limit_seconds: float) -> None:
        self.master = master
        self.limit_seconds = limit_seconds
        self._largest: dict[int, tuple[int, int, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> WorkerMemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def result(self) -> WorkerMemory:
        largest = list(self._largest.values())
        return WorkerMemory(
            peak_kib=max((peak for peak, _, _ in largest), default=0),
            pss_kib=max((pss for _, pss, _ in largest), default=0),
            uss_kib=max((uss for _, _, uss in largest), default=0),
            workers_seen=len(largest),
        )

    def _sample(self) -> None:
        deadline = time.monotonic() + self.limit_seconds
        while time.monotonic() < deadline:
            for pid in worker_pids(self.master):
                figures = sample(pid)
                if figures is not None:
                    before = self._largest.get(pid, (0, 0, 0))
                    self._largest[pid] = tuple(map(max, before, figures))
            if self._stop.wait(SAMPLE_SECONDS):
                break
