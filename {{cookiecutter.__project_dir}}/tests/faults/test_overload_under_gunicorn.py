"""Past capacity, with no proxy in front: a route of known capacity offered four times that
capacity, on a fixed schedule (support/open_loop.py), is answered only with 200 or a JSON
503 `overloaded` with Retry-After; the successes wait no longer than the queue's budget
(GUNICORN_QUEUE_BUDGET_MS) on top of their own time, the workers serve their capacity
meanwhile and normally the moment the load drops. gthread refuses most at once, without
taking a thread, and none later than the budget (worker_models/bounded_threads.py); a sync
worker can refuse only when it is free, so its refusals come after about the budget
(worker_models/bounded_sync.py). The broken
variant, a budget too long to matter, queues everything: the latency grows past the
budget."""

from __future__ import annotations

import math
import statistics
import time

import requests

from {{ cookiecutter.package_name }}.machinery import baked

from ..support.live_server import WITHOUT_QUEUE_BUDGET, start
from ..support.open_loop import Answer, offer

DELAY = 0.5  # the route's own time
THREADS = 4 if baked.WORKER_MODEL == "gthread" else 1
CAPACITY = 2 * THREADS / DELAY  # requests a second: two workers
TIMES_CAPACITY = 4
SECONDS = 4
BUDGET = 1.0  # GUNICORN_QUEUE_BUDGET_MS's default
# An answer takes a few milliseconds on top of its wait and its own time; this allows for
# a loaded machine, client included.
SLACK = 0.25
# gthread's main loop refuses most requests in microseconds, and the few it let wait
# (its forecast is a guess when load begins) once the budget is past; a sync worker
# refuses what has waited past the budget, once one of its processes is free.
MOSTLY_REFUSED_WITHIN = SLACK if baked.WORKER_MODEL == "gthread" else BUDGET + DELAY + SLACK
ALL_REFUSED_WITHIN = BUDGET + DELAY + SLACK


def p99(seconds: list[float]) -> float:
    ordered = sorted(seconds)
    return ordered[max(0, math.ceil(len(ordered) * 0.99) - 1)]


def offered_four_times_capacity(live) -> list[Answer]:
    answers = offer(live.url(f"/test/pid?delay={DELAY}"), TIMES_CAPACITY * CAPACITY, SECONDS)
    served = [a.seconds for a in answers if a.status == 200]
    refused = [a.seconds for a in answers if a.status == 503]
    print(
        f"{len(answers)} sent: {len(served)} served, p99 {p99(served or [0]):.3f} s; "
        f"{len(refused)} refused, p99 {p99(refused or [0]):.3f} s"
    )
    return answers


def test_past_capacity_the_workers_serve_within_the_budget_and_refuse_at_once(
    live_settings,
) -> None:
    with start(live_settings, "overload", GUNICORN_THREADS=str(THREADS)) as live:
        answers = offered_four_times_capacity(live)
        after = time.monotonic()
        normal = requests.get(live.url("/test/pid"), timeout=10)
        back_within = time.monotonic() - after
        log = live.log()
    assert {a.status for a in answers} <= {200, 503}
    served = [a for a in answers if a.status == 200]
    refused = [a for a in answers if a.status == 503]
    assert refused
    assert all(a.json()["error"]["code"] == "overloaded" for a in refused)
    assert all(a.headers["retry-after"] == "1" for a in refused)
    assert p99([a.seconds for a in served]) <= DELAY + BUDGET + SLACK
    assert statistics.median(a.seconds for a in refused) <= MOSTLY_REFUSED_WITHIN
    assert p99([a.seconds for a in refused]) <= ALL_REFUSED_WITHIN
    # Goodput: what the threads can serve, less what a busy machine takes from it.
    assert len(served) >= 0.75 * CAPACITY * SECONDS
    assert normal.status_code == 200 and back_within <= 0.5
    assert "WORKER TIMEOUT" not in log


def test_without_the_budget_the_latency_grows_past_it(live_settings) -> None:
    settings = {"GUNICORN_THREADS": str(THREADS), **WITHOUT_QUEUE_BUDGET}
    with start(live_settings, "overload-broken", **settings) as live:
        answers = offered_four_times_capacity(live)
    late = [a for a in answers if a.seconds is None or a.seconds > DELAY + BUDGET + SLACK]
    assert len(late) >= 0.25 * len(answers)
