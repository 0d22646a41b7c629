"""The printed result: one row per model and scenario, and the lines that qualify them."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from .load import (
    BARE_FLASK,
    BASELINE_MIX,
    HEALTHZ,
    LOGIN,
    MIX,
    NAIVE_MIX,
    TOP_CACHED,
    TOP_UNCACHED,
    LoadResult,
    wrk_threads,
)
from .memory import WorkerMemory
from .options import Settings

COLUMNS = (
    ("worker", "<12"),
    ("scenario", "<12"),
    ("req/s", ">9"),
    ("p50 ms", ">8"),
    ("p99 ms", ">8"),
    ("vs bare", ">7"),
    ("vs naive", ">8"),
    ("non-2xx", ">7"),
    ("sock err", ">8"),
    ("cpu us/req", ">10"),
    ("worker peak MiB", ">15"),
    ("worker PSS MiB", ">14"),
    ("worker USS MiB", ">14"),
    ("worker pids", ">11"),
)


@dataclass(frozen=True)
class Row:
    model: str
    scenario: str
    result: LoadResult
    memory: WorkerMemory
    # A row measured in rounds (rounds.py): each round's result; `result` combines them.
    rounds: tuple[LoadResult, ...] = ()
    cpu_seconds: float = 0.0  # the workers' CPU time over the measured part (worker_cpu.py)

    @property
    def cpu_microseconds_per_request(self) -> float | None:
        if not self.cpu_seconds or not self.result.requests:
            return None
        return self.cpu_seconds / self.result.requests * 1e6


def ratio(numerator: float, denominator: float | None) -> str:
    return f"{numerator / denominator:.2f}" if denominator else "-"


def mebibytes(kib: int) -> str:
    return f"{kib / 1024:.1f}"


def round_ratios(service: Row, naive: Row) -> list[float]:
    """Each round's service rate over the naive app's in the same round (rounds.py); a pair
    measured once is one round."""
    pairs = zip(service.rounds or (service.result,), naive.rounds or (naive.result,), strict=True)
    return [
        mine.requests_per_second / theirs.requests_per_second
        for mine, theirs in pairs
        if theirs.requests_per_second
    ]


def mix_ratios(rows: Sequence[Row], other: str) -> dict[str, list[float]]:
    """By model, the mix's round ratios against another scenario measured in turns."""
    return ratios_between(rows, MIX.name, other)


def ratios_between(rows: Sequence[Row], first: str, second: str) -> dict[str, list[float]]:
    """By model, the round ratios of one scenario measured in turns against another."""
    by_key = {(row.model, row.scenario): row for row in rows}
    return {
        model: round_ratios(by_key[model, first], by_key[model, second])
        for model, scenario in by_key
        if scenario == first and (model, second) in by_key
    }


def naive_ratios(rows: Sequence[Row]) -> dict[str, list[float]]:
    """By model, the mix's round ratios against the naive mix."""
    return mix_ratios(rows, NAIVE_MIX.name)


def baseline_lines(rows: Sequence[Row], baseline: str | None) -> list[str]:
    """The mix against the template at --baseline: the rate, and the CPU per request."""
    by_key = {(row.model, row.scenario): row for row in rows}
    lines = []
    for model, ratios in mix_ratios(rows, BASELINE_MIX.name).items():
        mine = by_key[model, MIX.name].cpu_microseconds_per_request
        theirs = by_key[model, BASELINE_MIX.name].cpu_microseconds_per_request
        cost = "-" if mine is None or theirs is None else f"{mine - theirs:+.0f} us"
        lines.append(
            f"{MIX.name} vs {BASELINE_MIX.name} ({baseline}), {model}: round by round "
            + ", ".join(f"{value:.2f}" for value in ratios)
            + f"; median {statistics.median(ratios):.2f}; workers' CPU per request {cost}"
        )
    return lines


def table_cells(row: Row, bare: float | None, naive: list[float] | None) -> tuple[str, ...]:
    result = row.result
    # Only the service's mix does the naive mix's work; other rows have nothing to compare.
    versus_naive = "-"
    if row.scenario == MIX.name and naive:
        versus_naive = f"{statistics.median(naive):.2f}"
    return (
        row.model,
        row.scenario,
        f"{result.requests_per_second:.1f}",
        f"{result.p50_ms:.2f}",
        f"{result.p99_ms:.2f}",
        ratio(result.requests_per_second, bare),
        versus_naive,
        str(result.non_2xx),
        str(result.socket_errors),
        "-"
        if row.cpu_microseconds_per_request is None
        else f"{row.cpu_microseconds_per_request:.0f}",
        mebibytes(row.memory.peak_kib),
        mebibytes(row.memory.pss_kib),
        mebibytes(row.memory.uss_kib),
        str(row.memory.workers_seen),
    )


def requests_per_second(rows: Sequence[Row], scenario: str) -> dict[str, float]:
    """By model, the rate of one scenario's rows."""
    return {row.model: row.result.requests_per_second for row in rows if row.scenario == scenario}


def format_table(rows: Sequence[Row]) -> str:
    bare = requests_per_second(rows, BARE_FLASK.name)
    naive = naive_ratios(rows)
    lines = [
        "  ".join(f"{title:{align}}" for title, align in COLUMNS),
        "  ".join("-" * int(align[1:]) for _, align in COLUMNS),
    ]
    previous_model = None
    for row in rows:
        if previous_model is not None and row.model != previous_model:
            lines.append("")
        previous_model = row.model
        cells = table_cells(row, bare.get(row.model), naive.get(row.model))
        lines.append(
            "  ".join(f"{cell:{align}}" for cell, (_, align) in zip(cells, COLUMNS, strict=True))
        )
    return "\n".join(lines)


def naive_ratio_lines(rows: Sequence[Row]) -> list[str]:
    return [
        f"{MIX.name} vs {NAIVE_MIX.name}, {model}: round by round "
        + ", ".join(f"{value:.2f}" for value in ratios)
        + f"; median {statistics.median(ratios):.2f} (the table's), lowest {min(ratios):.2f}"
        for model, ratios in naive_ratios(rows).items()
        if ratios
    ]


def login_cost_lines(rows: Sequence[Row]) -> list[str]:
    """What one login costs a model: its workers' CPU and its rate, beside /healthz's."""
    by_key = {(row.model, row.scenario): row for row in rows}
    lines = []
    for (model, scenario), row in by_key.items():
        healthz = by_key.get((model, HEALTHZ.name))
        cpu = row.cpu_microseconds_per_request
        if scenario != LOGIN.name or healthz is None or cpu is None:
            continue
        lines.append(
            f"login, {model}: {cpu / 1000:.1f} ms of the workers' CPU a login"
            f" ({healthz.cpu_microseconds_per_request or 0:.0f} us for healthz),"
            f" {row.result.requests_per_second:.0f} logins/s, p99 {row.result.p99_ms:.0f} ms,"
            f" worker peak {row.memory.peak_kib / 1024:.0f} MiB"
        )
    return lines


def cache_lines(rows: Sequence[Row]) -> list[str]:
    """The cached read against the same read computed every time, round by round."""
    return [
        f"{TOP_CACHED.name} vs {TOP_UNCACHED.name}, {model}: round by round "
        + ", ".join(f"{value:.2f}" for value in ratios)
        + f"; median {statistics.median(ratios):.2f}"
        for model, ratios in ratios_between(rows, TOP_CACHED.name, TOP_UNCACHED.name).items()
        if ratios
    ]


def unexpected_statuses(rows: Sequence[Row]) -> list[str]:
    notes = []
    for row in rows:
        odd = {s: n for s, n in row.result.statuses.items() if not 200 <= int(s) <= 299}
        if odd:
            notes.append(f"{row.model} {row.scenario}: non-2xx statuses {odd}")
    return notes


def settings_lines(settings: Settings, concurrencies: Sequence[str]) -> list[str]:
    return [
        *(f"server {line}" for line in concurrencies),
        "  (each bare ceiling and naive app: the same gunicorn settings, checked with"
        " --print-config)",
        f"wrk: {settings.connections} connections, {settings.duration} s measured after"
        f" {settings.warmup} s warm-up; {MIX.name} and {NAIVE_MIX.name}: one wrk thread per"
        f" connection, others: {wrk_threads(HEALTHZ, settings.connections)} wrk threads;"
        " sock err = socket errors + timeouts",
        f"{MIX.name} and {NAIVE_MIX.name}"
        + (
            f" and {BASELINE_MIX.name} (the template at {settings.baseline})"
            if settings.baseline
            else ""
        )
        + f": {settings.rounds} alternating rounds each, all their servers up; their rows add"
        " the rounds up, with the median round's percentiles",
        f"{TOP_CACHED.name} and {TOP_UNCACHED.name}: {settings.rounds} alternating rounds"
        " each, both servers up",
        "cpu us/req: the workers' CPU time (user + system) per request answered, from /proc",
    ]
