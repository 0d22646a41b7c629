"""A worker keeps the memory of at most PASSWORD_HASH_SLOTS password hashes, however many
threads it has. glibc's allocator keeps a hash's freed memory (19 MiB) in the arena of the
thread that hashed, so a worker whose eight threads each hashed would keep eight.
machinery/hashing_threads.py hashes in one thread per slot. One worker of eight threads,
eight clients logging in at once: its resident memory grows by no more than the slots'
hashes; hashing in the requests' own threads (the broken variant) grows it by one hash a
thread."""

from __future__ import annotations

import uuid
from pathlib import Path

import requests

from ..support.common import TEST_PASSWORD
from ..support.live_server import WITHOUT_QUEUE_BUDGET, LiveServer, many_at_once, start

THREADS = 8
LOGINS_EACH = 5
SLOTS = 2
HASH_MIB = 19  # PASSWORD_HASH_MEMORY_KIB's default, 19,456 KiB
# What else eight threads' requests may add: their own buffers, not a hash's.
OTHER_MIB = 16
SETTINGS = {
    "GUNICORN_THREADS": str(THREADS),
    "WEB_CONCURRENCY": "1",
    "PASSWORD_HASH_SLOTS": str(SLOTS),
    "LOGIN_ACCOUNT_LIMIT": "10000 per minute",
    "LOGIN_ADDRESS_LIMIT": "10000 per minute",
    **WITHOUT_QUEUE_BUDGET,
}


def resident_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def growth_from_logins(live: LiveServer) -> float:
    """How much the worker's resident memory grows while eight clients log in at once."""
    account = {"username": f"memory-{uuid.uuid4().hex[:12]}", "password": TEST_PASSWORD}
    assert requests.post(live.url("/api/accounts"), json=account, timeout=10).status_code == 201
    # Every thread started and used once before the baseline, so that what grows after it
    # is what logins keep.
    many_at_once(
        lambda _: requests.get(live.url("/test/pid?delay=0.3"), timeout=10).raise_for_status(),
        THREADS,
    )
    (worker,) = live.worker_pids()
    before = resident_mib(worker)

    def log_in_again_and_again(_: int) -> None:
        with requests.Session() as http:
            for _ in range(LOGINS_EACH):
                answer = http.post(live.url("/api/session/login"), json=account, timeout=30)
                assert answer.status_code == 200, answer.text

    many_at_once(log_in_again_and_again, THREADS)
    grown = resident_mib(worker) - before
    print(f"worker resident memory: {before:.0f} MiB, then {grown:+.0f} MiB after logins")
    return grown


def test_a_worker_keeps_no_more_than_its_slots_hashes(live_settings) -> None:
    with start(live_settings, "hash-memory", **SETTINGS) as live:
        grown = growth_from_logins(live)
    assert grown <= SLOTS * HASH_MIB + OTHER_MIB


def test_hashing_in_the_request_threads_keeps_a_hash_a_thread(live_settings) -> None:
    with start(
        live_settings, "hash-memory-broken", TEST_HASH_IN_THE_CALLER="1", **SETTINGS
    ) as live:
        grown = growth_from_logins(live)
    assert grown > SLOTS * HASH_MIB + OTHER_MIB
