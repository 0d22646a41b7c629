"""--overload: what each model's service does past capacity, behind the project's haproxy.cfg
and, for the models whose workers bound their own queue on this route (gthread, sync), without
it. (gevent's own bound is its database pool, and this route holds no connection: the
generated project's overload test measures that one.)

The route has a known cost: the async sample with one task that sleeps DELAY, so that an
instance's capacity is its slots (workers x threads; under gevent workers x the database
pool, haproxy.cfg's INSTANCE_SLOTS) over DELAY. It is offered at 0.5, 1, 2 and 4 times that
capacity for --duration seconds each (4x for at least a minute), on a fixed schedule
(open_loop.py: a closed-loop tool such as wrk sends less as the service slows down, which
hides the queue). Per row: goodput
(answers 200 within DELAY plus the queue's budget, per second), the successes' p50 and p99,
the refusals (503) and their p99, and requests with no answer within 10 s. After the 4x
row, how long until a request is served in its own time again, and whether any worker was
killed by its timeout.

haproxy runs the baked project's own haproxy.cfg in front of the one instance: its second
server line points at a port nothing listens on, and is out of rotation after two checks.
"""

from __future__ import annotations

import contextlib
import shutil
import statistics
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

from .baking import BakedService
from .open_loop import Answer, offer
from .options import Settings
from .processes import BenchmarkError, environment
from .runner import serving
from .servers import free_port
from .targets import SERVICE, Run

DELAY = 0.25
ROUTE = f"/api/async/fanout?tasks=1&delay={DELAY}"
BUDGET = 1.0  # the default of haproxy.cfg's QUEUE_BUDGET and GUNICORN_QUEUE_BUDGET_MS
MULTIPLES = (0.5, 1, 2, 4)
# The goal is a service back to normal within 5 s of a minute at 4x, so the last row lasts
# at least this long.
SUSTAINED_SECONDS = 60
# What one worker serves at once with the default sizing (gunicorn.conf.py).
SLOTS_PER_WORKER = {"sync": 1, "gthread": 4, "gevent": 10}
# Workers that bound their own queue, so that they are measured without the proxy too.
SELF_BOUNDED = ("sync", "gthread")
HAPROXY = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin") or "haproxy"
# haproxy.cfg takes a server out after two failed checks, 500 ms apart.
DEAD_SERVER_OUT_SECONDS = 2.0


@dataclass(frozen=True)
class OverloadRow:
    model: str
    path: str  # "haproxy" or "gunicorn"
    multiple: float
    offered: float  # requests a second
    seconds: int
    answers: tuple[Answer, ...]

    def of_status(self, status: int) -> list[float]:
        return sorted(a.seconds for a in self.answers if a.status == status)

    def goodput(self) -> float:
        served = self.of_status(200)
        return sum(1 for seconds in served if seconds <= DELAY + BUDGET) / self.seconds

    def unanswered(self) -> int:
        return sum(1 for a in self.answers if a.status is None)


def percentile(ordered: list[float], fraction: float) -> float | None:
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def milliseconds(seconds: float | None) -> str:
    return "none" if seconds is None else f"{seconds * 1000:.0f}"


def overload_table(rows: list[OverloadRow]) -> str:
    header = (
        "model    path      x   offered/s  goodput/s  served p50 ms  p99 ms"
        "  refused  p99 ms  unanswered"
    )
    lines = [header]
    for row in rows:
        served, refused = row.of_status(200), row.of_status(503)
        median = statistics.median(served) if served else None
        lines.append(
            f"{row.model:8} {row.path:8} {row.multiple:3g} {row.offered:9.0f} "
            f"{row.goodput():10.1f} {milliseconds(median):>14}"
            f" {milliseconds(percentile(served, 0.99)):>7} {len(refused):8}"
            f" {milliseconds(percentile(refused, 0.99)):>7} {row.unanswered():11}"
        )
    return "\n".join(lines)


def served_normally(url: str) -> bool:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200 and time.monotonic() - started <= DELAY + 0.1
    except OSError:
        return False


def seconds_until_normal(url: str, limit: float = 30) -> float | None:
    """After the load: how long until a request is served in about its own time."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if served_normally(url):
            return time.monotonic() - started
        time.sleep(0.1)
    return None


@contextlib.contextmanager
def balancer(service: BakedService, port: int, slots: int, run: Run) -> Iterator[int]:
    """The project's haproxy.cfg in front of the instance on `port`; yields its own port."""
    bind = free_port()
    env = environment(
        HAPROXY_BIND=f"127.0.0.1:{bind}",
        APP1_ADDRESS=f"127.0.0.1:{port}",
        APP2_ADDRESS=f"127.0.0.1:{free_port()}",  # nothing listens: out after two checks
        INSTANCE_SLOTS=str(slots),
    )
    log = run.workdir / f"{service.model}-haproxy-{bind}.log"
    config = service.project / "haproxy.cfg"
    with log.open("w") as output:
        process = subprocess.Popen(
            [HAPROXY, "-db", "-f", str(config)], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        time.sleep(DEAD_SERVER_OUT_SECONDS)
        if process.poll() is not None or not served_normally(f"http://127.0.0.1:{bind}{ROUTE}"):
            raise BenchmarkError(f"haproxy in front of {service.model} is not serving: see {log}")
        yield bind
    finally:
        process.terminate()
        process.wait(10)


def overload_model(
    service: BakedService, run: Run, settings: Settings
) -> tuple[list[OverloadRow], list[str]]:
    """The rows of one model's service, and what followed each path's 4x load."""
    slots = SLOTS_PER_WORKER[service.model] * settings.workers
    capacity = slots / DELAY
    rows, notes = [], []
    with serving(service, SERVICE, run, settings) as (_, port):
        log = run.workdir / f"{service.model}-{SERVICE.name}-{port}.log"
        with balancer(service, port, slots, run) as haproxy_port:
            paths = [("haproxy", haproxy_port)]
            if service.model in SELF_BOUNDED:
                paths.append(("gunicorn", port))
            for path, path_port in paths:
                url = f"http://127.0.0.1:{path_port}{ROUTE}"
                for multiple in MULTIPLES:
                    seconds = settings.duration
                    if multiple == MULTIPLES[-1]:
                        seconds = max(seconds, SUSTAINED_SECONDS)
                    answers = offer(url, multiple * capacity, seconds)
                    row = OverloadRow(
                        service.model, path, multiple, multiple * capacity, seconds, tuple(answers)
                    )
                    print(overload_table([row]).splitlines()[1], flush=True)
                    rows.append(row)
                recovered = seconds_until_normal(url)
                after = "never, within 30 s" if recovered is None else f"after {recovered:.1f} s"
                notes.append(f"{service.model} through {path}: served in its own time {after}")
        killed = log.read_text(errors="replace").count("WORKER TIMEOUT")
        notes.append(f"{service.model}: {killed} workers killed by their timeout")
    return rows, notes
