"""The command line: what one run measures and for how long."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass

WORKER_MODELS = ("sync", "gthread", "gevent")


@dataclass(frozen=True)
class Settings:
    duration: int
    warmup: int
    connections: int
    workers: int
    models: tuple[str, ...]
    max_requests: int | None  # None: what each gunicorn.conf.py says
    rounds: int  # of the mix and the naive mix, taking turns (rounds.py)
    baseline: str | None = None  # a commit of the template whose mix takes turns too
    asgi: bool = False  # also the gthread service under gunicorn's asgi worker (asgi_worker.py)
    sweep: str | None = None  # where to draw the concurrency sweep (sweep.py), if it runs
    overload: bool = False  # also each model past capacity (overload.py)


def parse_settings(argv: Sequence[str] | None, description: str) -> Settings:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.benchmark",
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per row")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured seconds before each")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--workers", type=int, default=2, help="WEB_CONCURRENCY for all")
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating rounds of the mix and the naive mix"
    )
    parser.add_argument(
        "--models", default=",".join(WORKER_MODELS), help="comma-separated worker models"
    )
    parser.add_argument(
        "--max-requests",
        type=int,
        help="GUNICORN_MAX_REQUESTS for all (0: never recycle); default: each config's own",
    )
    parser.add_argument(
        "--baseline",
        metavar="REF",
        help="also bake the template at this git commit; its mix takes turns with the mix",
    )
    parser.add_argument(
        "--asgi",
        action="store_true",
        help="also serve the gthread service under gunicorn's asgi worker, through each"
        " adapter, taking turns with gthread and gevent on the mix and fanout",
    )
    parser.add_argument(
        "--sweep",
        metavar="PNG",
        help="also load each model's service at 1, 4, 16, 64 and 256 connections, print the"
        " table and draw requests/s and p99 against connections into this file",
    )
    parser.add_argument(
        "--overload",
        action="store_true",
        help="also offer each model's service 0.5, 1, 2 and 4 times its capacity on a fixed"
        " schedule, through the project's haproxy.cfg and (gthread, sync) without it",
    )
    args = parser.parse_args(argv)
    models = tuple(model.strip() for model in args.models.split(",") if model.strip())
    if not models or set(models) - set(WORKER_MODELS):
        parser.error(f"--models takes some of {', '.join(WORKER_MODELS)}")
    # Bounds keep one run short and its loops finite.
    for name, value, low, high in (
        ("--duration", args.duration, 1, 600),
        ("--warmup", args.warmup, 0, 60),
        ("--connections", args.connections, 1, 1000),
        ("--workers", args.workers, 1, 64),
        ("--rounds", args.rounds, 1, 20),
    ):
        if not low <= value <= high:
            parser.error(f"{name} must be between {low} and {high}")
    if args.asgi and "gthread" not in models:
        parser.error("--asgi serves the gthread service: keep gthread in --models")
    if args.sweep is not None and not args.sweep.endswith(".png"):
        parser.error("--sweep takes the path of a .png file")
    if args.max_requests is not None and args.max_requests < 0:
        parser.error("--max-requests must be 0 or more")
    return Settings(
        args.duration,
        args.warmup,
        args.connections,
        args.workers,
        models,
        args.max_requests,
        args.rounds,
        args.baseline,
        args.asgi,
        args.sweep,
        args.overload,
    )
