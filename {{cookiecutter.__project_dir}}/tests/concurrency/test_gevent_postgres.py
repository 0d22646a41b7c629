"""Under gevent, slow PostgreSQL queries overlap instead of queueing, because the standard
library is patched before psycopg is imported. Without that, each worker runs one at a time."""

from __future__ import annotations

import time
from pathlib import Path

import requests

from ..support.live_server import (
    WITHOUT_QUEUE_BUDGET,
    LiveServer,
    broken_config,
    many_at_once,
    start,
)

QUERIES, SECONDS = 10, 1.0


def wall_time_of_slow_queries(server: LiveServer) -> float:
    def query(_: int) -> int:
        url = server.url(f"/test/slow-query?seconds={SECONDS}")
        return requests.get(url, timeout=60).status_code

    started = time.monotonic()
    statuses = many_at_once(query, QUERIES)
    assert statuses == [200] * QUERIES
    return time.monotonic() - started


def test_slow_queries_overlap(server: LiveServer) -> None:
    # Queued in two workers they would take QUERIES / 2 x SECONDS = 5 s.
    assert wall_time_of_slow_queries(server) < 2.5 * SECONDS


def test_without_the_early_patch_queries_queue(live_settings: dict, tmp_path: Path) -> None:
    broken = broken_config(tmp_path, lines=("    monkey.patch_all()",))
    # The queue's budget out of the way: queueing is what this variant shows, and the
    # requests behind a blocked worker would otherwise be refused once past it.
    with start(live_settings, "late-patch", config=broken, **WITHOUT_QUEUE_BUDGET) as live:
        assert wall_time_of_slow_queries(live) >= QUERIES / 2 * SECONDS * 0.9
