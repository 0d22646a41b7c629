"""Request ids: the caller's when sane, a new one otherwise, on every response."""

import pytest


def test_a_sane_request_id_is_carried_through(client) -> None:
    response = client.get("/api/request", headers={"X-Request-ID": "abc-123.DEF:9_z"})
    assert response.get_json()["request_id"] == "abc-123.DEF:9_z"
    assert response.headers["X-Request-ID"] == "abc-123.DEF:9_z"


@pytest.mark.parametrize(
    "offered", ["x" * 129, "bad\x01id", "<script>", "with space", "-leading-dash", "é"]
)
def test_an_insane_request_id_is_replaced_not_echoed(client, offered: str) -> None:
    response = client.get("/api/request", headers={"X-Request-ID": offered})
    request_id = response.get_json()["request_id"]
    assert request_id != offered
    assert len(request_id) == 32
    assert response.headers["X-Request-ID"] == request_id


def test_every_response_carries_a_request_id(client) -> None:
    for response in (client.get("/healthz"), client.get("/nowhere"), client.delete("/healthz")):
        assert len(response.headers["X-Request-ID"]) == 32


def test_ids_are_unique_per_request(client) -> None:
    ids = {client.get("/api/request").get_json()["request_id"] for _ in range(50)}
    assert len(ids) == 50
