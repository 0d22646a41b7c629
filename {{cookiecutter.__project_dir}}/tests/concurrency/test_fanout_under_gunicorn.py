"""The async sample under load, on the real server: every request succeeds and each one's
inner tasks overlap."""

from __future__ import annotations

from collections import Counter as Tally

import requests

from ..support.live_server import LiveServer, many_at_once

CLIENTS = 40
TASKS, DELAY = 10, 0.3


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
