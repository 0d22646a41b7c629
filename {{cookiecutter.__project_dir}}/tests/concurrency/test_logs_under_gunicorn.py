"""Logs under the real gunicorn, with concurrent clients: every line is one JSON object,
each request's records (the app's, a library's, an exception) carry that request's id and
no other, access lines are built from the request's fields so that a hostile User-Agent
cannot break them, and LOG_FORMAT=text keeps plain lines with the request id."""

from __future__ import annotations

import uuid

import requests

from ..support.live_server import many_at_once, start

CLIENTS = 16
REQUESTS_PER_CLIENT = 3
HOSTILE_AGENT = 'agent "quoted" \\ back\\slash\ttab {braces} %s'


def log_through(base_url: str, client: int) -> list[str]:
    """One client's requests to /test/log, each with an id of its own; returns the ids."""
    ids = []
    for number in range(REQUESTS_PER_CLIENT):
        request_id = f"log-{client}-{number}-{uuid.uuid4().hex[:8]}"
        response = requests.get(
            f"{base_url}/test/log",
            params={"marker": request_id},
            headers={"X-Request-ID": request_id, "User-Agent": HOSTILE_AGENT},
            timeout=10,
        )
        assert response.status_code == 200 and response.headers["X-Request-ID"] == request_id
        ids.append(request_id)
    return ids


def test_every_line_is_json_and_each_record_carries_its_own_request_id(live_settings) -> None:
    with start(live_settings, "json-logs") as live:
        batches = many_at_once(lambda client: log_through(live.base_url, client), CLIENTS)
    ids = [request_id for batch in batches for request_id in batch]
    records = live.records()  # fails on the first line that is not one JSON object

    for request_id in ids:
        # The marker is the id itself: every record that mentions it came from its request.
        mine = [record for record in records if request_id in record.get("message", "")]
        assert sorted(record["logger"] for record in mine) == sorted(
            ["{{ cookiecutter.package_name }}", "some.library", "{{ cookiecutter.package_name }}"]
        ), mine
        assert {record.get("request_id") for record in mine} == {request_id}, mine
        [failure] = [record for record in mine if "exception" in record]
        assert failure["exception"].endswith(f"ValueError: handled {request_id}")

    access = [record for record in live.access_records() if record["path"] == "/test/log"]
    assert sorted(record["request_id"] for record in access) == sorted(ids)
    for record in access:
        assert record["user_agent"] == HOSTILE_AGENT
        assert (record["method"], record["status"], record["remote_addr"]) == (
            "GET",
            200,
            "127.0.0.1",
        )
        assert record["bytes"] > 0 and 0 < record["duration_seconds"] < 10
        assert record["query"].startswith("marker=log-")


def test_text_lines_carry_the_request_id_too(live_settings) -> None:
    with start(live_settings, "text-logs", LOG_FORMAT="text") as live:
        [ids] = many_at_once(lambda client: log_through(live.base_url, client), 1)
    lines = live.log().splitlines()
    for request_id in ids:
        app_line = next(line for line in lines if f"app line {request_id}" in line)
        assert app_line.endswith(f"request_id={request_id}")
        assert any(
            f"GET /test/log?marker={request_id}" in line and f"request_id={request_id}" in line
            for line in lines
        )
    assert not any(line.startswith("{") for line in lines)
