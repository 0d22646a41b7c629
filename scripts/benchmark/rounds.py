"""The service's mix against the naive app's (and the baseline's), in alternating rounds,
and what they add up to.

A shared machine's speed drifts over minutes as its other tenants come and go: measured one
after the other, the two halves of a ratio met different machines (the naive app's own
rate moved from 425 to 668 req/s between runs of one day). Both servers run side by side
and take turns, mix then naive, round after round, so that each round's pair meets about
the same machine; the ratio reported is the median of the rounds' ratios.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Callable, Sequence

from .load import LoadResult
from .memory import WorkerMemory
from .report import Row


def alternating(measures: Sequence[Callable[[], Row]], rounds: int) -> list[Row]:
    """One row per measure (the service's mix, the naive app's, the baseline's), each
    combined from its rounds; in each round every measure takes its turn."""
    taken: list[list[Row]] = [[] for _ in measures]
    for _ in range(rounds):
        for measure, rows in zip(measures, taken, strict=True):
            rows.append(measure())
    return [combined(rows) for rows in taken]


def combined(rows: Sequence[Row]) -> Row:
    """One row for all rounds: counts add up; the latency percentiles, which cannot be
    merged from percentiles, are the median round's; memory is the largest seen."""
    results = [row.result for row in rows]
    statuses: dict[str, int] = {}
    for result in results:
        for status, count in result.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    total = LoadResult(
        requests=sum(r.requests for r in results),
        seconds=sum(r.seconds for r in results),
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=statistics.median(r.p99_ms for r in results),
        non_2xx=sum(r.non_2xx for r in results),
        socket_errors=sum(r.socket_errors for r in results),
        statuses=statuses,
        wrong_answers=sum(r.wrong_answers for r in results),
    )
    memory = WorkerMemory(
        **{
            field.name: max(getattr(row.memory, field.name) for row in rows)
            for field in dataclasses.fields(WorkerMemory)
        }
    )
    cpu_seconds = sum(row.cpu_seconds for row in rows)
    return Row(rows[0].model, rows[0].scenario, total, memory, tuple(results), cpu_seconds)
