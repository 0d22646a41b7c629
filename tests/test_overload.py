"""Past capacity, behind the project's own haproxy.cfg: a route of known capacity offered four
times that capacity, on a fixed schedule (open_loop.py), is answered only with 200 or a
JSON 503 `overloaded` with Retry-After; the successes wait no longer than the queue's
budget (QUEUE_BUDGET) on top of their own time, the refusals come at once, and the service
serves normally the moment the load drops. The broken variant, haproxy.cfg without the
instances' slots (maxconn), sends everything on to gunicorn, which queues it where nothing
bounds the wait (the workers' own budget is off throughout): the latency grows past it.
Two instances, PostgreSQL bakes, every worker model (the broken variant for sync and
gthread: under gevent a route that only waits never queues, greenlets wait without
limit)."""

from __future__ import annotations

import math
import re
import time

import pytest
import requests
from combinations import WORKER_MODELS, bake_ok, run
from instances import balancer, deployment
from open_loop import Answer, offer

DELAY = 0.5  # the route's own time: the async sample, one task waiting this long
ROUTE = f"/api/async/fanout?tasks=1&delay={DELAY}"
BUDGET = 1.0  # haproxy.cfg's default QUEUE_BUDGET
TIMES_CAPACITY = 4
SECONDS = 4
# What an instance serves at once with WEB_CONCURRENCY=2 (the deployment's): workers x
# threads, and under gevent workers x the database pool (gunicorn.conf.py).
SLOTS = {"sync": 2, "gthread": 8, "gevent": 20}
# haproxy answers a refusal in microseconds; this allows for two loaded cores, client
# included: with two generated suites beside it, the open-loop client once sent a run of
# requests up to 0.31 s behind their schedule, which counts against their answers.
REFUSAL_SECONDS = 0.5
# The server lines' `maxconn "${INSTANCE_SLOTS}"`: without it nothing queues in haproxy.
MAXCONN = re.compile(r' maxconn "\$\{INSTANCE_SLOTS\}"')


def p99(seconds: list[float]) -> float:
    ordered = sorted(seconds)
    return ordered[max(0, math.ceil(len(ordered) * 0.99) - 1)]


def summary(name: str, answers: list[Answer]) -> str:
    served = [a.seconds for a in answers if a.status == 200]
    refused = [a.seconds for a in answers if a.status == 503]
    lost = [a for a in answers if a.status not in (200, 503)]
    return (
        f"{name}: {len(answers)} sent, {len(served)} served (p99 "
        f"{p99(served) if served else 0:.3f} s), {len(refused)} refused (p99 "
        f"{p99(refused) if refused else 0:.3f} s), {len(lost)} otherwise"
    )


@pytest.mark.parametrize("worker_model", WORKER_MODELS)
def test_past_capacity_the_balancer_serves_within_the_budget_and_refuses_at_once(
    cookies, tmp_path, worker_model: str
) -> None:
    project = bake_ok(cookies, {"worker_model": worker_model, "database": "postgresql"})
    run(["uv", "sync", "--locked", "--quiet", "--no-dev"], project)
    slots = SLOTS[worker_model]
    capacity = 2 * slots / DELAY  # requests a second, two instances
    rate = TIMES_CAPACITY * capacity
    # The workers' own queue budget (gthread, sync) out of the way: what is measured is
    # haproxy's bound, and the broken variant has none at all.
    with deployment(project, tmp_path, GUNICORN_QUEUE_BUDGET_MS="600000") as service:
        instances = [service.start(), service.start()]
        try:
            with balancer(project, instances, tmp_path, INSTANCE_SLOTS=str(slots)) as base:
                answers = offer(base + ROUTE, rate, SECONDS)
                after = time.monotonic()
                normal = requests.get(base + ROUTE, timeout=10)
                back_within = time.monotonic() - after
            print(summary(f"{worker_model} at {rate:.0f}/s", answers))
            assert {a.status for a in answers} <= {200, 503}
            served = [a for a in answers if a.status == 200]
            refused = [a for a in answers if a.status == 503]
            assert refused and all(
                a.json()["error"]["code"] == "overloaded" and a.headers["retry-after"]
                for a in refused
            )
            assert p99([a.seconds for a in served]) <= DELAY + BUDGET
            assert p99([a.seconds for a in refused]) <= REFUSAL_SECONDS
            # Goodput: what the slots can serve, less what a busy machine takes from it.
            assert len(served) >= 0.75 * capacity * SECONDS
            assert normal.status_code == 200 and back_within <= DELAY + BUDGET
            for instance in instances:
                assert "WORKER TIMEOUT" not in instance.log.read_text(errors="replace")

            if worker_model == "gevent":
                return
            text = (project / "haproxy.cfg").read_text(encoding="utf-8")
            assert MAXCONN.search(text)
            broken = tmp_path / "broken-haproxy.cfg"
            broken.write_text(MAXCONN.sub("", text), encoding="utf-8")
            with balancer(project, instances, tmp_path, broken) as base:
                answers = offer(base + ROUTE, rate, SECONDS)
            print(summary(f"{worker_model} at {rate:.0f}/s, no slots", answers))
            late = [a for a in answers if a.seconds is None or a.seconds > DELAY + BUDGET]
            assert len(late) >= 0.25 * len(answers)
        finally:
            for instance in instances:
                if instance.process.poll() is None:
                    service.kill(instance)
