"""A catalogue of bad requests sent to the real server: each gets a JSON 4xx with the right
code, never a 500 and never an HTML page, and nothing that was refused is stored."""

from __future__ import annotations

import json
import socket
import uuid

import pytest
import requests

from {{ cookiecutter.package_name }} import counters, create_app

from ..support.common import TEST_PASSWORD, log_in_over_http
from ..support.live_server import LiveServer

BAD_REQUESTS = [
    # (name, method, path, keyword arguments for requests, status, error code)
    ("malformed JSON", "post", "/api/session/login",
     {"data": "{not json", "headers": {"Content-Type": "application/json"}}, 400, "malformed_json"),
    ("truncated JSON", "post", "/api/session/items",
     {"data": '{"item": "x"', "headers": {"Content-Type": "application/json"}}, 400,
     "malformed_json"),
    ("form instead of JSON", "post", "/api/session/login",
     {"data": {"username": "before", "password": TEST_PASSWORD}}, 415, "unsupported_media_type"),
    ("text content type", "post", "/api/session/items",
     {"data": '{"item": "a"}', "headers": {"Content-Type": "text/plain"}}, 415,
     "unsupported_media_type"),
    ("no body", "post", "/api/session/login", {}, 415, "unsupported_media_type"),
    ("JSON array", "post", "/api/session/login", {"json": ["alice"]}, 422, "validation_failed"),
    ("missing field", "post", "/api/session/login", {"json": {}}, 422, "validation_failed"),
    ("mistyped field", "post", "/api/session/login",
     {"json": {"username": 42, "password": TEST_PASSWORD}}, 422, "validation_failed"),
    ("null field", "post", "/api/session/items", {"json": {"item": None}}, 422,
     "validation_failed"),
    ("username too long", "post", "/api/session/login",
     {"json": {"username": "u" * 65, "password": TEST_PASSWORD}}, 422, "validation_failed"),
    ("empty username", "post", "/api/session/login",
     {"json": {"username": "", "password": TEST_PASSWORD}}, 422, "validation_failed"),
    ("item too long", "post", "/api/session/items", {"json": {"item": "i" * 201}}, 422,
     "validation_failed"),
    ("lone surrogate", "post", "/api/session/items",
     {"data": '{"item": "\\udc80"}', "headers": {"Content-Type": "application/json"}}, 422,
     "validation_failed"),
    ("upper-case counter", "post", "/api/counters/Visits", {}, 422, "validation_failed"),
    ("counter name too long", "post", "/api/counters/" + "c" * 65, {}, 422,
     "validation_failed"),
    ("encoded slash in counter", "get", "/api/counters/a%2Fb", {}, 404, "not_found"),
    ("counter name with NUL", "post", "/api/counters/a%00b", {}, 422, "validation_failed"),
    ("unknown route", "get", "/api/nothing-here", {}, 404, "not_found"),
    ("unknown method", "put", "/api/session", {}, 405, "method_not_allowed"),
    ("PUT on a counter", "put", "/api/counters/x", {}, 405, "method_not_allowed"),
    ("POST on the top list", "post", "/api/counters/top", {}, 405, "method_not_allowed"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [case[1:] for case in BAD_REQUESTS],
    ids=[case[0] for case in BAD_REQUESTS],
)
def test_a_bad_request_gets_a_json_4xx(server: LiveServer, method, path, kwargs, status, code):
    with requests.Session() as http:
        log_in_over_http(http, server.url, "before")
        http.post(server.url("/api/session/items"), json={"item": "kept"})
        response = http.request(method, server.url(path), timeout=30, **kwargs)
        assert response.status_code == status, response.text
        assert response.headers["Content-Type"] == "application/json"
        assert response.json()["error"]["code"] == code
        # Whatever was refused left the session as it was.
        assert http.get(server.url("/api/session")).json() == {
            "username": "before",
            "items": ["kept"],
        }


def test_refused_counter_names_create_nothing(server: LiveServer, live_settings: dict) -> None:
    refused = ("Refused", "a" * 65, "sp ace")
    for name in refused:
        assert requests.post(server.url(f"/api/counters/{name}"), timeout=10).status_code == 422
    # The API cannot name them back, so look in the database itself.
    app = create_app({"APP_ENV": "testing", "DATABASE_URL": live_settings["database_url"],
                      "REDIS_URL": live_settings["redis_url"]})  # fmt: skip
    with app.app_context():
        assert [counters.current_value(name) for name in refused] == [None] * len(refused)


@pytest.mark.parametrize(
    "offered", ["r" * 129, "<script>alert(1)</script>", "id with spaces", "ü-latin-1"]
)
def test_an_insane_request_id_is_replaced_not_echoed(server: LiveServer, offered: str) -> None:
    response = requests.get(
        server.url("/api/request"), headers={"X-Request-ID": offered.encode("latin-1")}, timeout=10
    )
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] != offered.encode("latin-1").decode("latin-1")
    assert response.json()["request_id"] == response.headers["X-Request-ID"]


def raw_exchange(server: LiveServer, request: bytes) -> bytes:
    host, port = server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        # Read until the server closes: head and body may come in separate segments.
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
        return answer


def test_a_body_over_the_limit_is_refused_before_it_is_read(server: LiveServer) -> None:
    """The 413 comes from the announced length alone: the service reads none of the body.
    (Sent over a raw socket: an HTTP client still uploading would see the connection close
    before it reads the answer.)"""
    announced = 2 * 1024 * 1024
    answer = raw_exchange(
        server,
        b"POST /api/session/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {announced}\r\nConnection: close\r\n\r\n".encode()
        + b'{"item": "'
        + b"x" * 1024,
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 "), head
    assert b"Content-Type: application/json" in head
    assert json.loads(body)["error"]["code"] == "request_entity_too_large"


NOT_HTTP = [
    # (name, raw request, the status gunicorn chooses)
    ("control character in a header",
     b"GET /api/request HTTP/1.1\r\nHost: x\r\nX-Request-ID: bad\x01id\r\n\r\n", 400),
    ("oversized header",
     b"GET /api/request HTTP/1.1\r\nHost: x\r\nX-Request-ID: " + b"a" * 9000 + b"\r\n\r\n", 431),
    ("too many headers",
     b"GET /api/request HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % n for n in range(120))
     + b"\r\n", 431),
    ("request line too long", b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    ("garbage request line", b"NOT HTTP AT ALL\r\n\r\n", 400),
    ("invalid method", b"G<T /api/request HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("unknown HTTP version", b"GET /api/request HTTP/7.1\r\nHost: x\r\n\r\n", 400),
]  # fmt: skip


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [case[1:] for case in NOT_HTTP],
    ids=[case[0] for case in NOT_HTTP],
)
def test_requests_that_are_not_valid_http_get_the_same_json_error(
    server: LiveServer, request_bytes: bytes, status: int
) -> None:
    """gunicorn refuses these before the app sees them; the answer is still the service's
    JSON error, with gunicorn's status, the security headers and nothing echoed back, and
    gunicorn logs one line saying why."""
    refusals_before = refusals_logged(server)
    answer = raw_exchange(server, request_bytes)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b" ", 2)[1] == str(status).encode(), head
    assert b"\r\nContent-Type: application/json\r\n" in head
    assert b"\r\nX-Content-Type-Options: nosniff\r\n" in head
    error = json.loads(body)["error"]
    reason = head.split(b"\r\n", 1)[0].split(b" ", 2)[2].decode()
    assert error == {"code": reason.lower().replace(" ", "_"), "message": reason}
    assert b"<html" not in answer and b"bad\x01id" not in answer
    assert refusals_logged(server) == refusals_before + 1


def refusals_logged(server: LiveServer) -> int:
    return sum(
        record["logger"] == "gunicorn.error" and record["message"].startswith("Invalid request")
        for record in server.records()
    )


@pytest.mark.parametrize(
    "cookie",
    [
        "garbage",
        "",
        "a" * 4000,
        "../../etc/passwd",
        "session:*",
        "%00%01%02",
        uuid.uuid4().hex,  # well-formed, but no such session
    ],
)
def test_a_forged_or_garbage_session_cookie_gets_a_fresh_session(server, cookie: str) -> None:
    response = requests.get(server.url("/api/session"), cookies={"session": cookie}, timeout=10)
    assert response.status_code == 200
    assert response.json() == {"username": None, "items": []}
    # Logged out, as a new visitor: no item, and the offered id is not handed back.
    refused = requests.post(
        server.url("/api/session/items"),
        json={"item": "x"},
        cookies={"session": cookie},
        timeout=10,
    )
    assert refused.status_code == 401
    assert refused.cookies.get("session") is None
    # The first write to it, a login, is on a new id, never the offered.
    login = log_in_over_http(
        requests, server.url, "forger", cookies={"session": cookie}, timeout=10
    )
    assert login.status_code == 200, login.text
    fresh = login.cookies.get("session")
    assert fresh not in (cookie, None)
    write = requests.post(
        server.url("/api/session/items"), json={"item": "x"}, cookies={"session": fresh}, timeout=10
    )
    assert write.status_code == 201
    assert write.json() == {"items": ["x"]}


def test_an_expired_session_is_a_fresh_one(server: LiveServer, redis_client, live_settings):
    with requests.Session() as http:
        log_in_over_http(http, server.url, "expiring")
        sid = http.cookies.get("session")
        redis_client.delete(live_settings["key_prefix"] + sid)  # as its TTL running out would
        assert http.get(server.url("/api/session")).json() == {"username": None, "items": []}
