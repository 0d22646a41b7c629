"""The benchmark's arithmetic for rounds: what a combined row adds up, and which ratio the
table shows. (Its measurements need wrk and minutes; this is the part that can be wrong
without any server.)"""

from __future__ import annotations

from scripts.benchmark.asgi_worker import ratio_lines
from scripts.benchmark.load import FANOUT, MIX, NAIVE_MIX, LoadResult
from scripts.benchmark.memory import WorkerMemory
from scripts.benchmark.report import Row, format_table, naive_ratio_lines, naive_ratios
from scripts.benchmark.rounds import alternating, combined


def result(requests: int, p50: float, statuses: dict[str, int]) -> LoadResult:
    return LoadResult(
        requests=requests,
        seconds=10.0,
        p50_ms=p50,
        p99_ms=p50 * 3,
        non_2xx=sum(n for s, n in statuses.items() if not s.startswith("2")),
        socket_errors=0,
        statuses=statuses,
        wrong_answers=0,
    )


def row(scenario: str, requests: int, p50: float = 1.0, uss: int = 100, model: str = "sync") -> Row:
    return Row(
        model, scenario, result(requests, p50, {"200": requests}), WorkerMemory(1, 2, uss, 2)
    )


def test_a_combined_row_adds_counts_and_keeps_the_median_round_and_largest_memory() -> None:
    rounds = [
        row(MIX.name, 1000, 5.0, 300),
        row(MIX.name, 3000, 1.0, 100),
        row(MIX.name, 2000, 9.0),
    ]
    total = combined(rounds)
    assert total.result.requests == 6000
    assert total.result.requests_per_second == 200.0
    assert total.result.statuses == {"200": 6000}
    assert total.result.p50_ms == 5.0
    assert total.memory.uss_kib == 300
    assert total.rounds == tuple(r.result for r in rounds)


def test_rounds_alternate_and_the_table_shows_the_median_of_their_ratios() -> None:
    order = []
    service_rates = iter([2000, 1000, 6000])
    naive_rates = iter([1000, 1000, 1000])

    def measure_service() -> Row:
        order.append("service")
        return row(MIX.name, next(service_rates))

    def measure_naive() -> Row:
        order.append("naive")
        return row(NAIVE_MIX.name, next(naive_rates))

    mix, naive = alternating([measure_service, measure_naive], 3)
    assert order == ["service", "naive"] * 3
    assert naive_ratios([naive, mix]) == {"sync": [2.0, 1.0, 6.0]}
    # The median (2.00), not the ratio of the totals (3.00).
    mix_line = next(
        line for line in format_table([naive, mix]).splitlines() if line.split()[1:2] == ["mix"]
    )
    assert "2.00" in mix_line.split()
    assert naive_ratio_lines([naive, mix]) == [
        "mix vs naive mix, sync: round by round 2.00, 1.00, 6.00;"
        " median 2.00 (the table's), lowest 1.00"
    ]


def in_rounds(model: str, scenario: str, rates: list[int]) -> Row:
    return combined([row(scenario, rate * 10, model=model) for rate in rates])


def test_an_asgi_server_is_judged_by_its_median_round_against_gthread() -> None:
    rows = [
        in_rounds("gthread", MIX.name, [100, 100, 100]),
        in_rounds("gevent", MIX.name, [200, 200, 200]),
        # One slow round of the three does not sink it; the median holds it at the rule's edge.
        in_rounds("asgi+a2wsgi", MIX.name, [90, 50, 95]),
        in_rounds("gthread", FANOUT.name, [100, 100, 100]),
        in_rounds("asgi+asgiref", FANOUT.name, [25, 26, 24]),
    ]
    assert ratio_lines(rows) == [
        "mix, asgi+a2wsgi vs gthread: round by round 0.90, 0.50, 0.95; median 0.90;"
        " within 10% of gthread",
        "mix, asgi+a2wsgi vs gevent: round by round 0.45, 0.25, 0.47; median 0.45",
        "fanout, asgi+asgiref vs gthread: round by round 0.25, 0.26, 0.24; median 0.25;"
        " more than 10% below gthread",
    ]
