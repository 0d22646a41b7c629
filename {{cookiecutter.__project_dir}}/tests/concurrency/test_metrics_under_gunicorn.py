"""/metrics under the real gunicorn (two workers): the count of requests is exact across the
worker processes, also after a worker is killed or recycled between bursts; a restarted
service starts from zero; two servers on one host keep their own counts; the directory the
workers share is in place before prometheus_client is first imported. The naive setup, one
registry per process, gets the sum wrong."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import requests
from prometheus_client.parser import text_string_to_metric_families

from ..support.common import unreachable_database_url
from ..support.live_server import (
    PROJECT_CONFIG,
    PROJECT_ROOT,
    WITHOUT_QUEUE_BUDGET,
    LiveServer,
    many_at_once,
    start,
)

CLIENTS = 8
BURST = 48
ENDPOINT = "worker_pid"  # /test/pid, the instrumented route


def burst(live: LiveServer, count: int = BURST) -> set[int]:
    """`count` requests to /test/pid from CLIENTS clients at once; the pids that answered."""

    def client(_: int) -> list[int]:
        return [
            requests.get(live.url("/test/pid?delay=0.005"), timeout=10).json()["pid"]
            for _ in range(count // CLIENTS)
        ]

    return {pid for pids in many_at_once(client, CLIENTS) for pid in pids}


def scraped(live: LiveServer) -> list:
    response = requests.get(live.url("/metrics"), timeout=10)
    assert response.status_code == 200, response.text
    return [
        sample
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    ]


def counted(live: LiveServer, endpoint: str = ENDPOINT) -> float:
    """http_requests_total for the endpoint, summed over methods and statuses."""
    return sum(
        sample.value
        for sample in scraped(live)
        if sample.name == "http_requests_total" and sample.labels["endpoint"] == endpoint
    )


def gauges(live: LiveServer) -> dict[str, float]:
    return {sample.name: sample.value for sample in scraped(live) if not sample.labels}


def replaced(live: LiveServer, old: list[int], seconds: float = 30) -> list[int]:
    """The workers once at least one of `old` has been replaced by a new one."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        workers = live.worker_pids()
        if len(workers) == len(old) and set(workers) != set(old):
            return workers
        time.sleep(0.1)
    raise AssertionError(f"no worker of {old} was replaced")


def test_counts_stay_exact_through_a_kill_a_restart_and_recycling(live_settings, tmp_path):
    # An explicit directory that outlives the server, as a volume would.
    reused = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    with start(live_settings, "metrics-first", GUNICORN_MAX_REQUESTS="0", **reused) as live:
        assert len(burst(live)) == 2, "both workers must have answered"
        assert counted(live) == BURST
        workers = live.worker_pids()
        os.kill(workers[0], signal.SIGKILL)
        replaced(live, workers)
        burst(live)
        assert counted(live) == 2 * BURST
        # Summed over the live workers only: the scrape itself is the one request in flight.
        in_use = gauges(live)
        assert in_use["http_requests_in_flight"] == 1
        assert in_use["db_pool_connections_in_use"] == 0

    # Started again on the same directory, its workers recycled every ten requests, beside
    # a second server on the same host with a directory of its own.
    # Both workers recycle at once (no jitter): on a loaded machine the burst's requests wait
    # for their replacements longer than the queue's budget and would be refused, and what
    # is counted here is exactness, not what happens past capacity.
    recycling = {
        "GUNICORN_MAX_REQUESTS": "10",
        "GUNICORN_MAX_REQUESTS_JITTER": "0",
        **WITHOUT_QUEUE_BUDGET,
    }
    with (
        start(live_settings, "metrics-again", **reused, **recycling) as live,
        start(live_settings, "metrics-neighbour") as neighbour,
    ):
        assert counted(live) == 0
        for _ in range(3):
            workers = live.worker_pids()
            burst(live)
            replaced(live, workers)  # recycled (a gevent worker notices within a second)
        burst(neighbour, CLIENTS)
        assert (counted(live), counted(neighbour)) == (3 * BURST, CLIENTS)


def test_a_per_process_registry_gets_the_sum_wrong(live_settings) -> None:
    """The broken variant: each scrape reads the one worker that answers it."""
    with start(live_settings, "metrics-naive", TEST_NAIVE_METRICS="1") as live:
        assert len(burst(live)) == 2, "both workers must have answered"
        scraped = {counted(live) for _ in range(8)}
    assert max(scraped) < BURST, scraped


SPY = """
import json, os, sys
from gunicorn.app.wsgiapp import run

seen = {}


class Spy:
    def find_spec(self, name, path=None, target=None):
        if name == "prometheus_client" and "directory" not in seen:
            seen["directory"] = directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
            seen["files"] = sorted(os.listdir(directory)) if directory else None


sys.meta_path.insert(0, Spy())
sys.argv = ["gunicorn", "--check-config", "--config", sys.argv[1]]
try:
    run()  # gunicorn's own order: its config, then the app
finally:
    print(json.dumps(seen))
"""


def test_the_shared_directory_is_set_before_prometheus_client_is_imported(redis_url) -> None:
    env = {**os.environ, "SECRET_KEY": "x" * 40, "REDIS_URL": redis_url}
    env.setdefault("DATABASE_URL", unreachable_database_url())
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    result = subprocess.run(
        [sys.executable, "-c", SPY, str(PROJECT_CONFIG)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["directory"] and seen["files"] == [], seen
