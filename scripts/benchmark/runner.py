"""One worker model measured: its servers checked, started in turn and loaded row by row."""

from __future__ import annotations

import contextlib
import functools
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .baking import BakedService
from .gunicorn_settings import (
    check_same_worker_settings,
    check_service_settings,
    describe_concurrency,
    resolved_settings,
)
from .load import (
    BARE_FLASK,
    BASELINE_MIX,
    FANOUT,
    HEALTHZ,
    LOGIN,
    MIX,
    NAIVE_MIX,
    TOP_CACHED,
    TOP_UNCACHED,
    Scenario,
    run_wrk,
)
from .local_services import delete_sessions, seed_counters, upgrade_schema
from .memory import WorkerMemorySampler
from .mix_users import script_arguments, sign_up_if_needed
from .options import Settings
from .processes import BenchmarkError
from .report import Row
from .rounds import alternating
from .servers import free_port, running_server
from .targets import A2WSGI, ASGIREF, BARE, BASELINE, NAIVE, SERVICE, UNCACHED, Run, Target
from .worker_cpu import spent_since, workers_cpu_seconds

# What each server is loaded with alone. The service's mix and the naive app's are then run
# in alternating rounds with both servers up (rounds.py), the service's first: the naive
# app's counter is created by a racy read-then-insert that fails a request when two collide,
# and the service's mix has already created it, as in a service that has run a while.
PLAN: tuple[tuple[Target, tuple[Scenario, ...]], ...] = (
    (BARE, (BARE_FLASK,)),
    (SERVICE, (HEALTHZ, FANOUT, LOGIN)),
)
# The apps served in the service's place, whose gunicorn settings must match the service's.
VARIANTS = (BARE, NAIVE)
# The order of the table: each model's two references before the service itself.
ROW_ORDER = (
    BARE_FLASK,
    NAIVE_MIX,
    BASELINE_MIX,
    HEALTHZ,
    MIX,
    FANOUT,
    LOGIN,
    TOP_CACHED,
    TOP_UNCACHED,
)
SESSION_TARGETS = (SERVICE, NAIVE, BASELINE, UNCACHED, ASGIREF, A2WSGI)
# Rows in the counter table before the top list is measured: its uncached read sorts them.
SEEDED_COUNTERS = 10_000


@dataclass(frozen=True)
class ModelReport:
    rows: list[Row]
    concurrency: str  # as gunicorn resolved it, e.g. "gthread: 2 workers x 4 threads, ..."


def verified_settings(service: BakedService, run: Run, settings: Settings) -> dict[str, str]:
    """The service's resolved gunicorn settings, once checked to match its variants'."""

    def resolve(target: Target) -> dict[str, str]:
        env = target.environment(service, run, settings)
        return resolved_settings(target.command(service), env, service.project)

    resolved = resolve(SERVICE)
    check_service_settings(service.model, service.worker_class, resolved, settings.workers)
    for target in VARIANTS:
        variant = resolve(target)
        check_same_worker_settings(service.model, target.name, resolved, variant, target.wsgi_app)
    return resolved


@contextlib.contextmanager
def serving(
    service: BakedService, target: Target, run: Run, settings: Settings
) -> Iterator[tuple[subprocess.Popen, int]]:
    port = free_port()
    env = target.environment(service, run, settings, port)
    log = run.workdir / f"{service.model}-{target.name}-{port}.log"
    with running_server(
        target.command(service),
        env,
        service.project,
        log,
        port,
        target.worker_class(service),
        settings.workers,
    ) as server:
        yield server, port


def measure(
    scenario: Scenario,
    model: str,
    server: subprocess.Popen,
    port: int,
    settings: Settings,
    script_args: tuple[str, ...] = (),
) -> Row:
    # The warm-up opens pooled connections and runs first-request imports, a start-up cost
    # that is not what is measured; its numbers are dropped, the memory it costs is not.
    limit = settings.warmup + settings.duration + 60
    with WorkerMemorySampler(server.pid, limit) as sampler:
        if settings.warmup:
            run_wrk(scenario, port, settings.warmup, settings.connections, script_args)
        cpu_before = workers_cpu_seconds(server.pid)
        result = run_wrk(scenario, port, settings.duration, settings.connections, script_args)
        cpu_seconds = spent_since(server.pid, cpu_before)
    if result.wrong_answers:
        raise BenchmarkError(
            f"{scenario.name}: {result.wrong_answers} answers failed the scenario's check;"
            " its figures would not measure what it claims"
        )
    print(f"  {model:8} {scenario.name:11} {result.requests_per_second:9.1f} req/s", flush=True)
    return Row(
        model=model,
        scenario=scenario.name,
        result=result,
        memory=sampler.result(),
        cpu_seconds=cpu_seconds,
    )


def measured_in_turns(
    turns: Sequence[tuple[Scenario, Target, BakedService]], run: Run, settings: Settings
) -> list[Row]:
    """Each scenario on its own server, all of them up, taking turns round after round; a
    row per turn, in order. The mix's users are signed up first on each server of the
    service itself (mix_users.py); the naive app uses the service's, signed up before it."""
    with contextlib.ExitStack() as servers:
        measures = []
        for scenario, target, served in turns:
            server, port = servers.enter_context(serving(served, target, run, settings))
            if target.wsgi_app is None:  # the service, not an app in its place
                sign_up_if_needed(scenario, served, port, settings.connections)
            model = target.model_label(served)
            arguments = script_arguments(scenario, served)
            measures.append(
                functools.partial(measure, scenario, model, server, port, settings, arguments)
            )
        return alternating(measures, settings.rounds)


def by_scenario(
    turns: Sequence[tuple[Scenario, Target, BakedService]], run: Run, settings: Settings
) -> dict[Scenario, Row]:
    """measured_in_turns for one model's turns, each a scenario of its own."""
    rows = measured_in_turns(turns, run, settings)
    return {scenario: row for (scenario, _, _), row in zip(turns, rows, strict=True)}


def benchmark_model(
    service: BakedService, run: Run, settings: Settings, baseline: BakedService | None = None
) -> ModelReport:
    resolved = verified_settings(service, run, settings)
    upgrade_schema(service, SERVICE.environment(service, run, settings))
    measured = {}
    for target, scenarios in PLAN:
        with serving(service, target, run, settings) as (server, port):
            for scenario in scenarios:
                sign_up_if_needed(scenario, service, port, settings.connections)
                arguments = script_arguments(scenario, service)
                measured[scenario] = measure(
                    scenario, service.model, server, port, settings, arguments
                )
    if baseline is not None:
        upgrade_schema(baseline, BASELINE.environment(baseline, run, settings))
    in_turns = [(MIX, SERVICE, service), (NAIVE_MIX, NAIVE, service)]
    if baseline is not None:
        in_turns.append((BASELINE_MIX, BASELINE, baseline))
    measured.update(by_scenario(in_turns, run, settings))
    seed_counters(run.database_url, SEEDED_COUNTERS)
    top_turns = [(TOP_CACHED, SERVICE, service), (TOP_UNCACHED, UNCACHED, service)]
    measured.update(by_scenario(top_turns, run, settings))
    return ModelReport(
        [measured[s] for s in ROW_ORDER if s in measured],
        describe_concurrency(service.model, resolved),
    )


def benchmark_all(
    services: Sequence[BakedService],
    run: Run,
    settings: Settings,
    baselines: dict[str, BakedService] | None = None,
) -> tuple[list[ModelReport], list[str]]:
    """Each model in turn; one that fails is reported and the others still run."""
    reports, failures = [], []
    for service in services:
        try:
            baseline = (baselines or {}).get(service.model)
            reports.append(benchmark_model(service, run, settings, baseline))
        except BenchmarkError as error:
            failures.append(f"{service.model}: {error}")
            print(f"{service.model} failed: {error}", file=sys.stderr, flush=True)
    return reports, failures


@contextlib.contextmanager
def sessions_removed_after(services: Sequence[BakedService], run: Run) -> Iterator[None]:
    """Whatever happens, the run's sessions and cached values leave Redis at the end."""
    try:
        yield
    finally:
        prefixes = [target.session_prefix(run) for target in SESSION_TARGETS]
        delete_sessions(services[0], prefixes)
