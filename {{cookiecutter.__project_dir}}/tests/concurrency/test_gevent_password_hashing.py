"""Under gevent, an Argon2 hash is a C call that never yields: run in the worker's greenlet
it would stop every other request of the worker until it ends. machinery/passwords.py runs
it in gevent's thread pool. One worker, a burst of logins hashing all the while, and
/healthz asked meanwhile keeps a p99 close to its idle p99; hashing on the event loop (the
broken variant) holds /healthz up for whole hashes."""

from __future__ import annotations

import threading
import time
import uuid

import requests

from ..support.common import TEST_PASSWORD
from ..support.live_server import WITHOUT_QUEUE_BUDGET, LiveServer, start

LOGINS_AT_ONCE = 4
PROBES = 100
# Three passes: about 50 ms a hash here, so that one on the loop is plain to see.
HASHING = {
    "PASSWORD_HASH_TIME_COST": "6",
    "LOGIN_ACCOUNT_LIMIT": "10000 per minute",
    "LOGIN_ADDRESS_LIMIT": "10000 per minute",
    "WEB_CONCURRENCY": "1",
    **WITHOUT_QUEUE_BUDGET,
}


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def healthz_times(live: LiveServer) -> list[float]:
    times = []
    with requests.Session() as http:
        for _ in range(PROBES):
            started = time.perf_counter()
            assert http.get(live.url("/healthz"), timeout=10).status_code == 200
            times.append(time.perf_counter() - started)
            time.sleep(0.005)
    return times


def healthz_p99_idle_and_while_hashing(live: LiveServer) -> tuple[float, float]:
    account = {"username": f"hasher-{uuid.uuid4().hex[:12]}", "password": TEST_PASSWORD}
    assert requests.post(live.url("/api/accounts"), json=account, timeout=10).ok
    idle = p99(healthz_times(live))
    stop = threading.Event()

    def keep_logging_in() -> None:
        with requests.Session() as http:
            while not stop.is_set():
                answer = http.post(live.url("/api/session/login"), json=account, timeout=30)
                assert answer.status_code == 200

    clients = [threading.Thread(target=keep_logging_in) for _ in range(LOGINS_AT_ONCE)]
    for client in clients:
        client.start()
    try:
        time.sleep(0.5)  # the burst is under way
        busy = p99(healthz_times(live))
    finally:
        stop.set()
        for client in clients:
            client.join()
    return idle, busy


def test_healthz_stays_fast_while_passwords_are_hashed(live_settings) -> None:
    with start(live_settings, "hashing", **HASHING) as live:
        idle, busy = healthz_p99_idle_and_while_hashing(live)
    assert busy < max(5 * idle, idle + 0.02), (idle, busy)


def test_hashing_on_the_event_loop_holds_healthz_up(live_settings) -> None:
    with start(live_settings, "hashing-broken", TEST_HASH_ON_THE_LOOP="1", **HASHING) as live:
        idle, busy = healthz_p99_idle_and_while_hashing(live)
    assert busy > max(5 * idle, idle + 0.02), (idle, busy)
