"""Failed logins are limited per account and per address, counted in Redis before the
password is checked; tests/concurrency/test_login_throttle_under_gunicorn.py shows the count
exact under a burst across two instances."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask
from limits.storage import RedisStorage

from {{ cookiecutter.package_name }}.machinery import passwords as passwords_module
from {{ cookiecutter.package_name }}.machinery.login_throttle import EXTENSION as THROTTLE
from {{ cookiecutter.package_name }}.machinery.login_throttle import LoginThrottle
from {{ cookiecutter.package_name }}.machinery.passwords import EXTENSION as PASSWORDS
from {{ cookiecutter.package_name }}.machinery.settings import ConfigError, load_settings

from ..support.common import TEST_PASSWORD, free_port


def new_name() -> str:
    return f"user-{uuid.uuid4().hex[:12]}"


def attempt(client, username: str, password: str, **headers: str):
    return client.post(
        "/api/session/login", json={"username": username, "password": password}, headers=headers
    )


def signed_up(client) -> str:
    name = new_name()
    body = {"username": name, "password": TEST_PASSWORD}
    assert client.post("/api/accounts", json=body).status_code == 201
    return name


def count_hashes(app: Flask) -> list:
    calls: list = []
    passwords = app.extensions[PASSWORDS]

    def counted(function, *args):
        calls.append(function)
        return passwords.run(function, *args)

    app.extensions[PASSWORDS] = type(passwords)(
        passwords.hasher, passwords.dummy_hash, passwords.slots, counted
    )
    return calls


def test_past_the_account_limit_even_the_right_password_is_refused_unchecked(app, client):
    name = signed_up(client)
    statuses = [attempt(client, name, "not the password").status_code for _ in range(5)]
    assert statuses == [401] * 5
    hashes = count_hashes(app)
    refused = attempt(client, name.upper(), TEST_PASSWORD)
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "too_many_attempts"
    assert 1 <= int(refused.headers["Retry-After"]) <= 15 * 60
    assert hashes == []  # refused before the password was looked at


def test_a_successful_login_does_not_count_as_a_failure(client) -> None:
    name = signed_up(client)
    for _ in range(4):
        assert attempt(client, name, "not the password").status_code == 401
    for _ in range(3):
        assert attempt(client, name, TEST_PASSWORD).status_code == 200
    assert attempt(client, name, "not the password").status_code == 401  # the fifth failure
    assert attempt(client, name, "not the password").status_code == 429


def test_attempts_that_could_not_be_checked_do_not_lock_the_account(
    app, client, monkeypatch
) -> None:
    name = signed_up(client)
    monkeypatch.setattr(passwords_module, "HASH_SLOT_WAIT_SECONDS", 0.05)
    slots = app.extensions[PASSWORDS].slots
    while slots.acquire(blocking=False):
        pass  # every hashing slot held, as by long hashes: each login waits, then a 503
    try:
        statuses = [attempt(client, name, TEST_PASSWORD).status_code for _ in range(6)]
    finally:
        for _ in range(app.config["APP_SETTINGS"].password_hash_slots):
            slots.release()
    assert statuses == [503] * 6
    assert attempt(client, name, TEST_PASSWORD).status_code == 200


def test_another_account_is_not_held_back_by_one_under_attack(client) -> None:
    attacked, other = signed_up(client), signed_up(client)
    for _ in range(6):
        attempt(client, attacked, "not the password")
    assert attempt(client, other, TEST_PASSWORD).status_code == 200


def test_failed_logins_from_one_address_are_limited_across_accounts(make_app) -> None:
    client = make_app(LOGIN_ADDRESS_LIMIT="3 per minute").test_client()
    statuses = [attempt(client, new_name(), "not the password").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_behind_a_trusted_proxy_the_address_is_the_clients_own(make_app) -> None:
    client = make_app(LOGIN_ADDRESS_LIMIT="2 per minute", TRUSTED_PROXY_HOPS="1").test_client()
    for _ in range(2):
        attempt(client, new_name(), "wrong password", **{"X-Forwarded-For": "203.0.113.7"})
    blocked = attempt(client, new_name(), "wrong password", **{"X-Forwarded-For": "203.0.113.7"})
    assert blocked.status_code == 429
    other = attempt(client, new_name(), "wrong password", **{"X-Forwarded-For": "203.0.113.8"})
    assert other.status_code == 401


def test_with_the_throttles_redis_down_login_is_a_503_not_unthrottled(app, client) -> None:
    name = signed_up(client)
    settings = app.config["APP_SETTINGS"]
    unreachable = RedisStorage(
        f"redis://127.0.0.1:{free_port()}", socket_connect_timeout=0.5, socket_timeout=0.5
    )
    app.extensions[THROTTLE] = LoginThrottle(unreachable, settings)
    hashes = count_hashes(app)
    response = attempt(client, name, TEST_PASSWORD)
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "redis_unavailable"
    assert response.headers["Retry-After"] == "1"
    assert hashes == []
    assert client.get("/api/session").get_json()["username"] is None


@pytest.mark.parametrize("name", ["LOGIN_ACCOUNT_LIMIT", "LOGIN_ADDRESS_LIMIT"])
def test_a_limit_that_is_not_a_rate_stops_the_start(name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({name: "five a day"})
