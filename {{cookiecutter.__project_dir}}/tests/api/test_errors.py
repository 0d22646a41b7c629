"""Bad requests get a JSON 4xx with the right code: never a 500, never an HTML page."""

from __future__ import annotations

import json

import pytest

from ..support.common import TEST_PASSWORD, log_in


def assert_json_error(response, status: int, code: str | None = None) -> None:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code


def test_unknown_route_is_a_json_404(client) -> None:
    assert_json_error(client.get("/no/such/route"), 404, "not_found")


def test_wrong_method_is_a_json_405_with_allow(client) -> None:
    response = client.delete("/api/session")
    assert_json_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_malformed_json_is_a_400(client) -> None:
    response = client.post("/api/session/login", data="{not json", content_type="application/json")
    assert_json_error(response, 400, "malformed_json")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_that_is_not_json_is_a_415(client, content_type) -> None:
    # A login's body, but sent as another type than JSON.
    body = json.dumps({"username": "alice", "password": TEST_PASSWORD})
    response = client.post("/api/session/login", data=body, content_type=content_type)
    assert_json_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("body", ["[]", '"text"', "3", "null"])
def test_json_that_is_not_an_object_is_a_422(client, body: str) -> None:
    response = client.post("/api/session/login", data=body, content_type="application/json")
    assert_json_error(response, 422, "validation_failed")


def test_a_body_over_the_limit_is_a_413(make_app) -> None:
    client = make_app(MAX_CONTENT_LENGTH=2048).test_client()
    response = client.post("/api/session/items", json={"item": "x" * 4096})
    assert_json_error(response, 413)


def test_a_lone_surrogate_is_refused_not_stored(client) -> None:
    assert log_in(client.post, "alice").status_code == 200  # items need a login
    response = client.post(
        "/api/session/items", data='{"item": "\\ud800"}', content_type="application/json"
    )
    assert_json_error(response, 422, "validation_failed")
    assert client.get("/api/session").get_json()["items"] == []


def test_security_headers_are_on_every_response(client) -> None:
    for response in (client.get("/healthz"), client.get("/nowhere")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_an_untrusted_host_is_a_json_400(make_app) -> None:
    client = make_app(TRUSTED_HOSTS="api.example.com").test_client()
    assert client.get("/healthz", headers={"Host": "api.example.com"}).status_code == 200
    assert_json_error(client.get("/healthz", headers={"Host": "evil.example"}), 400)
