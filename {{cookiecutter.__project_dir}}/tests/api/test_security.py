"""Security properties of the running service: cookie flags, id rotation, key lifetimes,
and logs that never carry a secret or a session id."""

from __future__ import annotations

import re

import pytest
import requests

from {{ cookiecutter.package_name }} import create_app

from ..support.common import TEST_PASSWORD, TEST_SECRET_KEY, log_in_over_http
from ..support.live_server import LiveServer, start


@pytest.fixture(scope="module")
def production_server(live_settings: dict):
    """Production defaults, Secure cookies included, and the most talkative logs."""
    with start(
        live_settings,
        "production",
        SESSION_COOKIE_SECURE="true",
        LOG_LEVEL="DEBUG",
        GUNICORN_LOG_LEVEL="debug",
    ) as live:
        yield live
    live.assert_clean_log()


def set_cookie_of(response: requests.Response) -> str:
    return next(
        value
        for value in response.raw.headers.getlist("Set-Cookie")
        if value.startswith("session=")
    )


def test_the_session_cookie_is_secure_httponly_and_lax(production_server: LiveServer) -> None:
    response = log_in_over_http(requests, production_server.url, "ann", timeout=10)
    attributes = {part.strip().split("=")[0].lower() for part in set_cookie_of(response).split(";")}
    assert {"secure", "httponly", "expires", "path"} <= attributes
    assert "SameSite=Lax" in set_cookie_of(response)
    assert "Cookie" in response.headers["Vary"]


def sid_from(response: requests.Response) -> str:
    return re.match(r"session=([^;]*)", set_cookie_of(response)).group(1)


def test_login_retires_the_old_id_and_logout_deletes_the_key(
    production_server: LiveServer, redis_client, live_settings: dict
) -> None:
    url = production_server.url
    first = sid_from(log_in_over_http(requests, url, "ann", timeout=10))
    second_login = log_in_over_http(requests, url, "bob", cookies={"session": first}, timeout=10)
    second = sid_from(second_login)
    assert second != first
    old = requests.get(url("/api/session"), cookies={"session": first}, timeout=10).json()
    assert old == {"username": None, "items": []}

    key = live_settings["key_prefix"] + second
    assert redis_client.ttl(key) > 0  # every server-side session expires
    requests.post(url("/api/session/logout"), cookies={"session": second}, timeout=10)
    assert redis_client.exists(key) == 0


def test_every_stored_session_has_a_ttl(production_server, redis_client, live_settings) -> None:
    for name in ("ttl-1", "ttl-2", "ttl-3"):
        log_in_over_http(requests, production_server.url, name, timeout=10)
    keys = list(redis_client.scan_iter(match=live_settings["key_prefix"] + "*"))
    assert keys
    assert all(redis_client.ttl(key) > 0 for key in keys)


def test_no_secret_or_session_id_reaches_the_log(production_server: LiveServer) -> None:
    url = production_server.url
    sids = []
    for username in ("log-a", "log-b"):
        response = log_in_over_http(requests, url, username, timeout=10)
        sids.append(sid_from(response))
        requests.get(url("/api/session"), cookies={"session": sids[-1]}, timeout=10)
        requests.get(url("/nowhere"), cookies={"session": sids[-1]}, timeout=10)
        requests.post(url("/api/session/logout"), cookies={"session": sids[-1]}, timeout=10)
    log = production_server.log()
    assert "GET /api/session" in log  # the log did record the requests
    assert TEST_SECRET_KEY not in log
    assert TEST_PASSWORD not in log
    for sid in sids:
        assert sid not in log


def test_security_headers_on_answers_and_errors(production_server: LiveServer) -> None:
    for path in ("/healthz", "/nowhere", "/api/counters/BAD"):
        headers = requests.get(production_server.url(path), timeout=10).headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_production_is_never_in_debug_mode(monkeypatch, redis_url, database_url) -> None:
    monkeypatch.setenv("FLASK_DEBUG", "1")
    production = {"APP_ENV": "production", "SECRET_KEY": TEST_SECRET_KEY}
    app = create_app({**production, "REDIS_URL": redis_url, "DATABASE_URL": database_url})
    assert app.debug is False
