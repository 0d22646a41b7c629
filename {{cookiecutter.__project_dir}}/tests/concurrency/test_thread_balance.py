"""Connections that arrive together spread over the gthread workers: a worker whose threads
are all taken leaves the next connections to one with a thread free (balanced_threads.py).

One worker is frozen while more clients than its threads connect, then thawed. The awake
worker takes as many as it has threads and pauses (made long here, so that the test does
not race it); the thawed worker takes the rest,
so all the clients' slow requests run side by side, in one delay. gunicorn's stock gthread
worker accepts every one of them in the worker that was awake, whose threads then take two
delays while the other worker serves nothing."""

from __future__ import annotations

import http.client
import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..support.live_server import PROJECT_CONFIG, LiveServer, start

THREADS = 4
CLIENTS = THREADS + 2
DELAY_SECONDS = 1.0
# For the awake worker to accept what it will; its pause when busy is longer.
ACCEPT_SECONDS = 0.5
LONG_PAUSE = {"GUNICORN_BUSY_PAUSE_MS": "3000"}


def connect_while_one_worker_is_frozen(live: LiveServer) -> list[http.client.HTTPConnection]:
    host, port = live.url("").removeprefix("http://").split(":")
    frozen = live.worker_pids()[-1]
    os.kill(frozen, signal.SIGSTOP)
    try:
        connections = [
            http.client.HTTPConnection(host, int(port), timeout=30) for _ in range(CLIENTS)
        ]
        for connection in connections:
            connection.connect()
        time.sleep(ACCEPT_SECONDS)
    finally:
        os.kill(frozen, signal.SIGCONT)
    return connections


def serving_pid(connection: http.client.HTTPConnection) -> int:
    connection.request("GET", f"/test/pid?delay={DELAY_SECONDS}")
    response = connection.getresponse()
    assert response.status == 200
    return json.loads(response.read())["pid"]


def slow_requests_on_connections_made_together(live: LiveServer) -> tuple[set[int], float]:
    """The workers that served the clients' slow requests, and how long those took."""
    connections = connect_while_one_worker_is_frozen(live)
    try:
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            pids = set(pool.map(serving_pid, connections))
        return pids, time.monotonic() - started
    finally:
        for connection in connections:
            connection.close()


def test_connections_made_together_are_served_by_every_worker(live_settings) -> None:
    threads = {"GUNICORN_THREADS": str(THREADS), **LONG_PAUSE}
    with start(live_settings, "thread-balance", **threads) as live:
        pids, seconds = slow_requests_on_connections_made_together(live)
    assert len(pids) == 2
    assert seconds < 1.7 * DELAY_SECONDS


def test_the_stock_worker_queues_them_on_one(live_settings, tmp_path: Path) -> None:
    stock = tmp_path / "stock-gthread.gunicorn.conf.py"
    stock.write_text(
        PROJECT_CONFIG.read_text(encoding="utf-8") + '\nworker_class = "gthread"\n',
        encoding="utf-8",
    )
    threads = {"GUNICORN_THREADS": str(THREADS), **LONG_PAUSE}
    with start(live_settings, "stock-threads", config=stock, **threads) as live:
        pids, seconds = slow_requests_on_connections_made_together(live)
    assert len(pids) == 1
    assert seconds >= 1.9 * DELAY_SECONDS
