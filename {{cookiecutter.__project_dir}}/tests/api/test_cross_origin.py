"""Requests that change something are refused when a page of another origin sent them
(machinery/cross_origin.py); the rest pass. The template's own tests show the same in a real
browser, where the headers are the browser's and not the test's."""

from __future__ import annotations

import pytest
from flask import Flask

from {{ cookiecutter.package_name }}.machinery.settings import ConfigError, load_settings

from ..support.common import TEST_PASSWORD

LOGIN = "/api/session/login"
TRUSTED = "https://app.example.com"
ALICE = {"username": "alice", "password": TEST_PASSWORD}


def sign_up(client) -> None:
    """The account the logins name, signed up as curl would (no Origin): a login that passes
    the origin check is a 200."""
    assert client.post("/api/accounts", json=ALICE).status_code in (201, 409)


def login(client, **headers: str):
    return client.post(LOGIN, json=ALICE, headers=headers)


def assert_refused(response) -> None:
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "cross_origin_request"
    assert "Set-Cookie" not in response.headers  # no session opened, none written


@pytest.mark.parametrize("site", ["cross-site", "same-site", "CROSS-SITE"])
def test_a_write_from_another_site_or_origin_is_refused(client, site: str) -> None:
    response = login(client, **{"Sec-Fetch-Site": site, "Origin": "http://localhost:9999"})
    assert_refused(response)
    assert {"Sec-Fetch-Site", "Origin"} <= set(response.vary)


@pytest.mark.parametrize("site", ["same-origin", "none"])
def test_a_write_from_the_same_origin_or_typed_by_the_user_passes(client, site: str) -> None:
    sign_up(client)
    response = login(client, **{"Sec-Fetch-Site": site})
    assert response.status_code == 200
    assert "Sec-Fetch-Site" in response.vary


def test_without_fetch_metadata_the_origin_decides(client) -> None:
    sign_up(client)
    assert login(client).status_code == 200  # curl, another service: no Origin at all
    assert login(client, Origin="http://localhost").status_code == 200  # the request's host
    for other in ("http://localhost:9999", "http://evil.example", "null"):
        assert_refused(login(client, Origin=other))
    assert {"Sec-Fetch-Site", "Origin"} <= set(login(client).vary)


def test_trusted_origins_pass_from_another_site(make_app) -> None:
    client = make_app(TRUSTED_ORIGINS=f"{TRUSTED},http://localhost:3000").test_client()
    sign_up(client)
    assert login(client, **{"Sec-Fetch-Site": "cross-site", "Origin": TRUSTED}).status_code == 200
    assert login(client, Origin="HTTP://LOCALHOST:3000").status_code == 200
    assert_refused(login(client, **{"Sec-Fetch-Site": "cross-site", "Origin": "https://x.example"}))


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_every_unsafe_method_is_judged_before_its_view(client, method: str) -> None:
    # Logged in, so that no 401 comes first: the same request from the same origin would be
    # a 405 (PUT), a 415 (PATCH without a body) or a 428 (DELETE without If-Match). The
    # refusal comes before any of them.
    sign_up(client)
    assert login(client).status_code == 200
    response = client.open("/api/notes/1", method=method, headers={"Sec-Fetch-Site": "cross-site"})
    assert_refused(response)


def test_reads_from_anywhere_pass_and_vary_on_nothing_of_this(client) -> None:
    response = client.get("/api/session", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 200
    assert "Sec-Fetch-Site" not in response.vary


def test_every_write_declares_the_refusal(app: Flask) -> None:
    for path, operations in app.spec["paths"].items():
        for method, operation in operations.items():
            if method in ("post", "put", "patch", "delete"):
                assert "403" in operation["responses"], f"{method} {path}"


@pytest.mark.parametrize("value", ["app.example.com", "https://app.example.com/path", "ftp://x"])
def test_a_trusted_origin_must_be_an_origin(value: str) -> None:
    with pytest.raises(ConfigError, match="TRUSTED_ORIGINS"):
        load_settings({"APP_ENV": "testing", "TRUSTED_ORIGINS": value})
