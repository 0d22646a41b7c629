"""The async sample: N awaits inside one request overlap."""

import pytest


def test_inner_tasks_overlap(client) -> None:
    response = client.get("/api/async/fanout?tasks=20&delay=0.2")
    assert response.status_code == 200
    body = response.get_json()
    assert body["tasks"] == 20 and body["delay"] == 0.2
    # Sequential awaits would take 20 x 0.2 = 4 s; overlapping ones take about 0.2 s.
    assert 0.2 <= body["elapsed"] < 2.0, body


def test_defaults_apply(client) -> None:
    body = client.get("/api/async/fanout").get_json()
    assert body["tasks"] == 10 and body["delay"] == 0.1


@pytest.mark.parametrize(
    "query", ["tasks=51", "tasks=0", "tasks=x", "tasks=1.5", "delay=2.5", "delay=-1", "delay=nan"]
)
def test_out_of_bounds_parameters_are_a_422(client, query: str) -> None:
    response = client.get(f"/api/async/fanout?{query}")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_failed"
