"""--sweep: how each worker model's rate and p99 grow with the load's concurrency.

The service of each model serves the mix and fanout at 1, 4, 16, 64 and 256 connections in
turn (wrk, closed-loop: each connection sends its next request when the last is answered, so
concurrency is what it sets, not an arrival rate). One table, and one picture (matplotlib) of
answers 2xx a second and p99 against connections, one panel per scenario and measure, a line
per model. Past capacity the workers refuse what would wait past the queue's budget (503
`overloaded`, at once), and a closed-loop connection sends its next request as soon as it is
refused: the refusals are counted apart, and the p99 is of every answer, refusals included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .baking import BakedService
from .load import FANOUT, MIX, LoadResult, Scenario, run_wrk
from .mix_users import script_arguments, sign_up_if_needed
from .options import Settings
from .processes import BenchmarkError
from .runner import serving
from .targets import SERVICE, Run

CONNECTIONS = (1, 4, 16, 64, 256)
SCENARIOS = (MIX, FANOUT)


@dataclass(frozen=True)
class SweepPoint:
    model: str
    scenario: str
    connections: int
    result: LoadResult


def sweep_model(service: BakedService, run: Run, settings: Settings) -> list[SweepPoint]:
    """One server of the model, loaded at each concurrency in turn (the schema is already
    upgraded by the model's main rows)."""
    points = []
    with serving(service, SERVICE, run, settings) as (_, port):
        for scenario in SCENARIOS:
            sign_up_if_needed(scenario, service, port, max(CONNECTIONS))
            args = script_arguments(scenario, service)
            for connections in CONNECTIONS:
                points.append(
                    measure_at(scenario, service.model, port, connections, settings, args)
                )
    return points


def measure_at(
    scenario: Scenario,
    model: str,
    port: int,
    connections: int,
    settings: Settings,
    script_args: tuple[str, ...] = (),
) -> SweepPoint:
    if settings.warmup:
        run_wrk(scenario, port, settings.warmup, connections, script_args)
    result = run_wrk(scenario, port, settings.duration, connections, script_args)
    if result.wrong_answers:
        raise BenchmarkError(f"sweep {scenario.name} at {connections}: wrong answers")
    print(
        f"  {model:8} {scenario.name:7} {connections:4} connections"
        f" {result.served_per_second:9.1f} 2xx/s, {result.non_2xx} not 2xx,"
        f" p99 {result.p99_ms:.1f} ms",
        flush=True,
    )
    return SweepPoint(model, scenario.name, connections, result)


def sweep_table(points: Sequence[SweepPoint]) -> str:
    lines = [
        f"{'worker':<8}  {'scenario':<8}  {'connections':>11}  {'2xx/s':>9}  {'p50 ms':>9}"
        f"  {'p99 ms':>9}  {'non-2xx':>7}  {'sock err':>8}"
    ]
    for point in points:
        result = point.result
        # With nothing answered there is no latency to give, only its absence.
        p50, p99 = (
            (f"{result.p50_ms:>9.2f}", f"{result.p99_ms:>9.2f}")
            if result.requests
            else (f"{'none':>9}", f"{'none':>9}")
        )
        lines.append(
            f"{point.model:<8}  {point.scenario:<8}  {point.connections:>11}"
            f"  {result.served_per_second:>9.1f}  {p50}  {p99}"
            f"  {result.non_2xx:>7}  {result.socket_errors:>8}"
        )
    return "\n".join(lines)


def unanswered(points: Sequence[SweepPoint]) -> list[SweepPoint]:
    """Loads at which a model served no request (2xx) within wrk's timeout."""
    return [point for point in points if not point.result.served_per_second]


def draw_sweep(points: Sequence[SweepPoint], picture: Path, title: str) -> None:
    """Answers 2xx a second and p99 against connections (both axes logarithmic), one row of
    panels per scenario, a line per worker model."""
    import matplotlib

    matplotlib.use("Agg")  # no display: a file
    from matplotlib import pyplot

    models = list(dict.fromkeys(point.model for point in points))
    figure, axes = pyplot.subplots(len(SCENARIOS), 2, figsize=(11, 4.2 * len(SCENARIOS)))
    for row, scenario in enumerate(SCENARIOS):
        rate_axis, latency_axis = axes[row]
        for model in models:
            # A load with nothing served has no rate a log axis can show: it is left out of
            # the line and named below the panels.
            mine = [
                p
                for p in points
                if p.model == model and p.scenario == scenario.name and p.result.served_per_second
            ]
            connections = [p.connections for p in mine]
            rate_axis.plot(
                connections, [p.result.served_per_second for p in mine], marker="o", label=model
            )
            latency_axis.plot(connections, [p.result.p99_ms for p in mine], marker="o", label=model)
        for axis, measure in ((rate_axis, "answers 2xx/s"), (latency_axis, "p99 latency, ms")):
            axis.set_xscale("log", base=2)
            axis.set_yscale("log")
            axis.set_xticks(CONNECTIONS, [str(c) for c in CONNECTIONS])
            axis.set_xlabel("connections (closed loop)")
            axis.set_ylabel(measure)
            axis.set_title(f"{scenario.name}: {measure}")
            axis.grid(True, which="both", alpha=0.3)
            axis.legend()
    figure.suptitle(title)
    missing = [f"{p.model} {p.scenario} at {p.connections}" for p in unanswered(points)]
    if missing:
        figure.text(0.5, 0.005, "Not drawn, nothing served: " + ", ".join(missing), ha="center")
    figure.tight_layout(rect=(0, 0.02, 1, 1))
    picture.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(picture, dpi=100)
    pyplot.close(figure)
