"""Entry point: `uv run python -m scripts.benchmark [options]` from the repository root."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from . import __doc__ as overview
from .asgi_worker import AsgiReport, compare_asgi, ratio_lines
from .baking import bake_all
from .baseline import bake_baselines
from .local_services import temporary_database
from .machine import machine_line
from .options import Settings, parse_settings
from .overload import SUSTAINED_SECONDS, OverloadRow, overload_model, overload_table
from .processes import BenchmarkError
from .report import (
    baseline_lines,
    cache_lines,
    format_table,
    login_cost_lines,
    naive_ratio_lines,
    settings_lines,
    unexpected_statuses,
)
from .runner import benchmark_all, sessions_removed_after
from .sweep import SweepPoint, draw_sweep, sweep_model, sweep_table
from .targets import Run


def require_tools(settings: Settings) -> None:
    if (
        settings.overload
        and shutil.which("haproxy", path="/usr/sbin:/usr/bin:/usr/local/sbin") is None
    ):
        sys.exit("haproxy is not installed: run `apt-get install -y haproxy` (Debian package)")
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: run `apt-get install -y wrk` (Debian package wrk)")
    for tool in ("uv", "psql"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not on PATH; the benchmark needs it")


def print_asgi(asgi: AsgiReport) -> None:
    print("\ngunicorn's asgi worker, taking turns with gthread (and gevent) on the same settings:")
    print("\n".join(f"server {line}" for line in asgi.concurrency))
    print()
    print(format_table(asgi.rows))
    print()
    print("\n".join(ratio_lines(asgi.rows)))


def print_sweep(points: list[SweepPoint], settings: Settings) -> None:
    picture = Path(settings.sweep)
    print(
        f"\nconcurrency sweep: each model's service, {settings.duration} s measured after"
        f" {settings.warmup} s warm-up at each number of connections, drawn in {picture}:"
    )
    print(sweep_table(points))
    title = f"gunicorn worker models against concurrency: {settings.workers} workers each"
    draw_sweep(points, picture, title)


def run_benchmark(settings: Settings) -> int:
    started = time.monotonic()
    # Other work on the machine skews every number; the load average shows how much.
    load_at_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="flask-bench-") as scratch:
        workdir = Path(scratch)
        services = bake_all(settings.models, workdir / "baked")
        baselines = {}
        if settings.baseline:
            baselines = bake_baselines(settings.models, settings.baseline, workdir)
        header = machine_line(services[0])
        with temporary_database() as database_url, temporary_database() as baseline_url:
            run = Run(workdir, database_url, baseline_url)
            with sessions_removed_after(services, run):
                reports, failures = benchmark_all(services, run, settings, baselines)
                asgi = None
                if settings.asgi:
                    try:
                        asgi = compare_asgi(services, run, settings)
                    except BenchmarkError as error:
                        failures.append(f"asgi: {error}")
                sweep: list[SweepPoint] = []
                if settings.sweep:
                    for service in services:
                        try:
                            sweep += sweep_model(service, run, settings)
                        except BenchmarkError as error:
                            failures.append(f"sweep, {service.model}: {error}")
                overload: list[OverloadRow] = []
                overload_notes: list[str] = []
                if settings.overload:
                    for service in services:
                        try:
                            rows_of_model, notes = overload_model(service, run, settings)
                        except BenchmarkError as error:
                            failures.append(f"overload, {service.model}: {error}")
                            continue
                        overload += rows_of_model
                        overload_notes += notes

    rows = [row for report in reports for row in report.rows]
    print()
    print(header)
    print(f"load average (1 min) at start: {load_at_start:.2f}, at end: {os.getloadavg()[0]:.2f}")
    print("\n".join(settings_lines(settings, [report.concurrency for report in reports])))
    print()
    print(format_table(rows))
    print()
    print("\n".join(naive_ratio_lines(rows)))
    print("\n".join(baseline_lines(rows, settings.baseline)))
    print("\n".join(cache_lines(rows)))
    print("\n".join(login_cost_lines(rows)))
    if asgi is not None:
        print_asgi(asgi)
    if sweep:
        print_sweep(sweep, settings)
    if overload:
        print(
            f"\npast capacity: a route of known cost, {settings.duration} s a row, the 4x row"
            f" at least {SUSTAINED_SECONDS} s (overload.py):"
        )
        print(overload_table(overload))
        print("\n".join(overload_notes))
    for note in unexpected_statuses(rows + (asgi.rows if asgi else [])):
        print(note)
    print(f"\nwall time: {time.monotonic() - started:.0f} s")
    if failures:
        print("\nfailed:\n" + "\n".join(failures), file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_settings(argv, overview)
    require_tools(settings)
    # The servers run in sessions of their own and would outlive a plain SIGTERM of this
    # script; as an exception it unwinds through the cleanup like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    try:
        return run_benchmark(settings)
    except BenchmarkError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
