"""Slow clients, behind the project's own haproxy.cfg and without it. 200 connections send
their headers a byte at a time, and notes of 8 KB and 1 MB are uploaded slowly, while normal
traffic (the async sample, one 50 ms wait, evenly spaced) is measured. Behind haproxy the
normal traffic's p99 stays within twice its p99 without them, for every worker model:
haproxy reads headers and small bodies whole before it picks an instance, and larger bodies
take a lane of UPLOAD_SLOTS per instance. The broken variant, haproxy.cfg without the
buffering and the lane (sync, gthread), lets slow 8 KB uploads hold the workers. Straight to
gunicorn the header connections alone hold every sync process and every gthread thread,
while gevent's greenlets wait for them at no cost: the README's list of exposed models.
Two instances of two workers, PostgreSQL bakes."""

from __future__ import annotations

import contextlib
import json
import math
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from accounts import account
from combinations import WORKER_MODELS, bake_ok, run
from instances import balancer, deployment
from open_loop import Answer, offer

DELAY = 0.05
ROUTE = f"/api/async/fanout?tasks=1&delay={DELAY}"
RATE = 20  # a second, evenly spaced: no request of the normal traffic waits for another
SECONDS = 5  # of measured traffic
SLOW_SECONDS = SECONDS + 3  # the slow clients start first and end after it, within 10 s
SETTLE_SECONDS = 1.5  # for the slow clients to be connected and holding
HEADER_CONNECTIONS = 200
UPLOADS = [8_000] * 20 + [1_000_000] * 4
SLOTS = {"sync": 2, "gthread": 8, "gevent": 20}  # haproxy's INSTANCE_SLOTS for two workers
# Straight to gunicorn: a sync process or a gthread thread reads a request's headers until
# they are whole; gevent reads each in a greenlet of its own.
EXPOSED = {"sync": True, "gthread": True, "gevent": False}
# haproxy.cfg without its defence against slow uploads: no buffering, no lane.
UNBUFFERED = re.compile(r"\n    option http-buffer-request\n|\n    use_backend large_bodies [^\n]*")
SLOW_CLIENTS = Path(__file__).with_name("slow_clients.py")


def p99(seconds: list[float]) -> float:
    ordered = sorted(seconds)
    return ordered[max(0, math.ceil(len(ordered) * 0.99) - 1)]


def latencies(answers: list[Answer]) -> list[float]:
    """Seconds to each answer; a failed or missing one counts as never answered."""
    return [a.seconds if a.status == 200 else math.inf for a in answers]


@contextlib.contextmanager
def slow_clients(url: str, header_connections: int, uploads: list[int]) -> Iterator[dict]:
    """Slow clients on `url` while the block runs; afterwards, what became of them."""
    command = [sys.executable, str(SLOW_CLIENTS), url, str(SLOW_SECONDS)]
    command += [str(header_connections), uploader_session(url) if uploads else "-"]
    command += map(str, uploads)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    outcome: dict = {}
    try:
        time.sleep(SETTLE_SECONDS)
        yield outcome
        output, _ = process.communicate(timeout=SLOW_SECONDS + 30)
        outcome.update(json.loads(output))
    finally:
        process.kill()
        process.wait()


def uploader_session(url: str) -> str:
    """A logged-in session's cookie value: the uploads are notes, which need a login."""
    with requests.Session() as http:
        body = account("slow-uploader")  # the instances share a database: 409 the second time
        signed_up = http.post(f"{url}/api/accounts", json=body, timeout=10)
        assert signed_up.status_code in (201, 409), signed_up.text
        login = http.post(f"{url}/api/session/login", json=body, timeout=10)
        assert login.status_code == 200, login.text
        return http.cookies["session"]


def measured(name: str, url: str) -> list[float]:
    answers = offer(url + ROUTE, RATE, SECONDS)
    seconds = latencies(answers)
    statuses = dict(Counter(a.status for a in answers))
    print(
        f"{name}: p50 {sorted(seconds)[len(seconds) // 2]:.3f} s, p99 {p99(seconds):.3f} s, "
        f"answers {statuses}"
    )
    return seconds


def check_behind_the_balancer(project: Path, instances, tmp_path: Path, model: str) -> None:
    slots = str(SLOTS[model])
    with balancer(project, instances, tmp_path, INSTANCE_SLOTS=slots) as base:
        idle = measured(f"{model}, haproxy", base)
        with slow_clients(base, HEADER_CONNECTIONS, UPLOADS) as held:
            attacked = measured(f"{model}, haproxy, slow clients", base)
    print(held)
    assert p99(attacked) <= 2 * p99(idle)
    # Each held its connection to the end (8 s, within haproxy's 10 s for headers); each
    # small upload was read whole (201) or refused as past capacity; a large upload was read
    # whole by an instance (422: over the note's limit), or refused while the lane was full
    # (haproxy's 503, or its close while the body was still coming).
    assert held["headers"] == {"held": HEADER_CONNECTIONS}
    assert "201" in held["uploads"]["8000"]
    assert set(held["uploads"]["8000"]) <= {"201", "503"}
    assert "422" in held["uploads"]["1000000"]
    assert set(held["uploads"]["1000000"]) <= {"422", "503", "ConnectionResetError"}
    if model == "gevent":
        return  # its 40 slots outnumber the uploads: nothing to take from it

    text = (project / "haproxy.cfg").read_text(encoding="utf-8")
    assert len(UNBUFFERED.findall(text)) == 2
    broken = tmp_path / "unbuffered-haproxy.cfg"
    broken.write_text(UNBUFFERED.sub("\n", text), encoding="utf-8")
    with (
        balancer(project, instances, tmp_path, broken, INSTANCE_SLOTS=slots) as base,
        slow_clients(base, 0, UPLOADS),
    ):
        unbuffered = measured(f"{model}, haproxy without buffering", base)
    assert p99(unbuffered) > 2 * p99(idle)


def check_without_the_balancer(instance, model: str) -> None:
    idle = measured(f"{model}, gunicorn", instance.url)
    with slow_clients(instance.url, HEADER_CONNECTIONS, []):
        attacked = measured(f"{model}, gunicorn, slow clients", instance.url)
    if EXPOSED[model]:
        assert sum(1 for s in attacked if s > 2 * p99(idle)) >= len(attacked) / 2
    else:
        assert p99(attacked) <= 2 * p99(idle)


@pytest.mark.parametrize("worker_model", WORKER_MODELS)
def test_slow_clients_behind_the_balancer_and_without_it(cookies, tmp_path, worker_model: str):
    project = bake_ok(cookies, {"worker_model": worker_model, "database": "postgresql"})
    run(["uv", "sync", "--locked", "--quiet", "--no-dev"], project)
    with deployment(project, tmp_path) as service:
        instances = [service.start(), service.start()]
        try:
            check_behind_the_balancer(project, instances, tmp_path, worker_model)
            check_without_the_balancer(instances[0], worker_model)
        finally:
            for instance in instances:
                if instance.process.poll() is None:
                    service.kill(instance)
