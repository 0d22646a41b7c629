"""The benchmark's concurrency sweep, from fabricated points: the table lists each point and
the picture is drawn. (Its measurements need wrk and minutes.)"""

from __future__ import annotations

from pathlib import Path

from scripts.benchmark.load import LoadResult
from scripts.benchmark.sweep import (
    CONNECTIONS,
    SCENARIOS,
    SweepPoint,
    draw_sweep,
    sweep_table,
    unanswered,
)


def point(model: str, scenario: str, connections: int) -> SweepPoint:
    # sync answers nothing to the fanout at 256 connections, as one run measured.
    answered = not (model == "sync" and scenario == "fanout" and connections == 256)
    requests = 100 * min(connections, 16) if answered else 0
    result = LoadResult(
        requests=requests,
        seconds=10.0,
        p50_ms=connections * 1.0,
        p99_ms=connections * 3.0,
        non_2xx=0,
        socket_errors=0,
        statuses={"200": requests},
        wrong_answers=0,
    )
    return SweepPoint(model, scenario, connections, result)


def test_the_sweep_is_tabled_and_drawn(tmp_path: Path) -> None:
    points = [
        point(model, scenario.name, connections)
        for model in ("sync", "gthread")
        for scenario in SCENARIOS
        for connections in CONNECTIONS
    ]
    table = sweep_table(points).splitlines()
    assert len(table) == 1 + len(points)
    assert table[-1].split()[:4] == ["gthread", "fanout", "256", "160.0"]
    assert table[len(CONNECTIONS) * len(SCENARIOS)].split()[:6] == [
        "sync",
        "fanout",
        "256",
        "0.0",
        "none",
        "none",
    ]
    assert [(p.model, p.scenario, p.connections) for p in unanswered(points)] == [
        ("sync", "fanout", 256)
    ]
    picture = tmp_path / "sweep" / "curve.png"
    draw_sweep(points, picture, "test")
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
