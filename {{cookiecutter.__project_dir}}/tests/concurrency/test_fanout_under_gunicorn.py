"""The async sample under load, on the real server: every request succeeds and each one's
inner tasks overlap."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterator

import pytest
import requests

from ..support.live_server import WITHOUT_QUEUE_BUDGET, LiveServer, many_at_once, start

CLIENTS = 40
TASKS, DELAY = 10, 0.3


@pytest.fixture(scope="module")
def server(live_settings: dict) -> Iterator[LiveServer]:
    """40 requests of 0.3 s at once on 8 threads: the last wait 1.2 s, past the queue's
    budget."""
    with start(live_settings, "fanout", **WITHOUT_QUEUE_BUDGET) as live:
        yield live
    live.assert_clean_log()


def fanout_under_load(server: LiveServer) -> tuple[Tally, list[float]]:
    def ask(_: int):
        response = requests.get(
            server.url(f"/api/async/fanout?tasks={TASKS}&delay={DELAY}"), timeout=60
        )
        elapsed = response.json().get("elapsed") if response.status_code == 200 else None
        return response.status_code, elapsed

    answers = many_at_once(ask, CLIENTS)
    return Tally(status for status, _ in answers), [e for _, e in answers if e is not None]


def test_concurrent_async_requests_all_succeed_and_overlap_inside(server: LiveServer) -> None:
    statuses, elapsed = fanout_under_load(server)
    assert statuses == {200: CLIENTS}
    # Ten sequential awaits would take 3 s; overlapping ones take about one delay.
    assert max(elapsed) < TASKS * DELAY / 2, elapsed
