"""--asgi: gunicorn's asyncio worker (`asgi`) beside gthread and gevent, in one run.

The gthread service is served a second and a third time by gunicorn's `asgi` worker, through
each adapter of apps/asgi_adapters.py (apps/asgi.conf.py: its own config, the worker class
and the app changed). Those servers, the gthread service and the gevent one (when baked) run
side by side and take turns, round after round, first on the mix, then on fanout. Below the
table, each adapter's rate over gthread's, round by round: the template offers a worker model
only if it serves the mix and fanout within 10% of gthread or better (the README's rule).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from .baking import BakedService
from .gunicorn_settings import resolved_settings
from .load import FANOUT, MIX
from .local_services import upgrade_schema
from .options import Settings
from .processes import BenchmarkError, environment, run_checked
from .report import Row, round_ratios
from .runner import measured_in_turns
from .targets import A2WSGI, ASGIREF, SERVICE, Run, Target

ADAPTERS = (ASGIREF, A2WSGI)
# Not in the service's lock, since the template does not offer the asgi worker: installed
# into the gthread service's environment for this comparison only. uvloop is what gunicorn's
# asgi worker runs on when it is installed (its `asgi_loop = "auto"`).
ADAPTER_PACKAGES = ("a2wsgi==1.10.10", "uvloop==0.23.0")
# The README's rule for offering a worker model: within 10% of gthread, or better.
OFFER_THRESHOLD = 0.90


@dataclass(frozen=True)
class AsgiReport:
    rows: list[Row]
    concurrency: list[str]  # how each asgi server was resolved


def install_adapters(service: BakedService) -> None:
    run_checked(
        [
            "uv",
            "pip",
            "install",
            "--quiet",
            "--python",
            str(service.executable("python")),
            *ADAPTER_PACKAGES,
        ],
        cwd=service.project,
        env=environment(),
        timeout=600,
    )


def checked_concurrency(service: BakedService, target: Target, run: Run, settings: Settings) -> str:
    """Fail unless gunicorn resolves the asgi worker, the run's workers and the adapter meant;
    describe it, e.g. "asgi+a2wsgi: 2 workers, asgi_adapters:a2wsgi(4)"."""
    env = target.environment(service, run, settings)
    resolved = resolved_settings(target.command(service), env, service.project)
    label = target.model_label(service)
    if resolved.get("worker_class") != "asgi" or resolved.get("workers") != str(settings.workers):
        raise BenchmarkError(
            f"{label}: gunicorn resolved worker_class={resolved.get('worker_class')},"
            f" workers={resolved.get('workers')}"
        )
    if f":{target.asgi_adapter}(" not in resolved.get("wsgi_app", ""):
        raise BenchmarkError(f"{label}: the config serves {resolved.get('wsgi_app')}")
    return (
        f"{label}: {resolved['workers']} workers, each one event loop serving"
        f" {resolved['wsgi_app']} (the gthread service's app and settings)"
    )


def compare_asgi(services: Sequence[BakedService], run: Run, settings: Settings) -> AsgiReport:
    by_model = {service.model: service for service in services}
    gthread = by_model["gthread"]  # options.py requires it with --asgi
    print("installing the asgi adapters into the gthread service's environment ...", flush=True)
    install_adapters(gthread)
    concurrency = [checked_concurrency(gthread, target, run, settings) for target in ADAPTERS]
    upgrade_schema(gthread, SERVICE.environment(gthread, run, settings))
    served = [(SERVICE, gthread)]
    if "gevent" in by_model:
        served.append((SERVICE, by_model["gevent"]))
    served += [(target, gthread) for target in ADAPTERS]
    rows = []
    for scenario in (MIX, FANOUT):
        turns = [(scenario, target, service) for target, service in served]
        rows += measured_in_turns(turns, run, settings)
    # Grouped by server, as in the main table: each server's mix, then its fanout.
    order = [target.model_label(service) for target, service in served]
    return AsgiReport(sorted(rows, key=lambda row: order.index(row.model)), concurrency)


def ratio_lines(rows: Sequence[Row]) -> list[str]:
    """Each asgi server's rate over gthread's (and gevent's), scenario by scenario, round by
    round, and whether it meets the rule for offering it."""
    by_key = {(row.model, row.scenario): row for row in rows}
    lines = []
    for scenario in (MIX.name, FANOUT.name):
        for target in ADAPTERS:
            label = f"asgi+{target.asgi_adapter}"
            mine = by_key.get((label, scenario))
            if mine is None:
                continue
            for model in ("gthread", "gevent"):
                theirs = by_key.get((model, scenario))
                ratios = round_ratios(mine, theirs) if theirs else []
                if not ratios:
                    continue
                median = statistics.median(ratios)
                verdict = ""
                if model == "gthread":
                    verdict = (
                        "; within 10% of gthread"
                        if median >= OFFER_THRESHOLD
                        else "; more than 10% below gthread"
                    )
                lines.append(
                    f"{scenario}, {label} vs {model}: round by round "
                    + ", ".join(f"{value:.2f}" for value in ratios)
                    + f"; median {median:.2f}{verdict}"
                )
    return lines
