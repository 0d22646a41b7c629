"""Ending sessions: logout everywhere, a password change, the absolute lifetime."""

from __future__ import annotations

import time
import uuid

import pytest
from flask import Flask
from redis import Redis

from {{ cookiecutter.package_name }}.machinery.settings import ConfigError, load_settings

from ..support.common import TEST_PASSWORD, log_in, session_id


def new_name() -> str:
    return f"user-{uuid.uuid4().hex[:12]}"


def logged_in_clients(app: Flask, username: str, count: int) -> list:
    clients = [app.test_client() for _ in range(count)]
    for client in clients:
        assert log_in(client.post, username).status_code == 200
    return clients


def who(client) -> str | None:
    return client.get("/api/session").get_json()["username"]


def change_password(client, current: str, new: str):
    body = {"current_password": current, "new_password": new}
    return client.post("/api/accounts/me/password", json=body)


def test_logout_all_ends_every_session_of_the_user_only(app: Flask, redis_client, key_prefix):
    name, other = new_name(), new_name()
    first, second, third = logged_in_clients(app, name, 3)
    [bystander] = logged_in_clients(app, other, 1)
    assert second.post("/api/session/logout-all").status_code == 204
    assert [who(client) for client in (first, second, third)] == [None, None, None]
    assert who(bystander) == other
    assert redis_client.exists(f"{key_prefix}user:{name}") == 0
    assert [key for key in redis_client.scan_iter(f"{key_prefix}*") if b"user:" not in key] != []


def test_logout_ends_only_this_session(app: Flask) -> None:
    name = new_name()
    first, second = logged_in_clients(app, name, 2)
    assert first.post("/api/session/logout").status_code == 204
    assert (who(first), who(second)) == (None, name)


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/api/session/logout-all"), ("post", "/api/accounts/me/password")],
)
def test_without_a_login_they_are_a_401(client, method: str, path: str) -> None:
    response = getattr(client, method)(path, json={"current_password": "x" * 8})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "login_required"


def test_a_password_change_ends_every_other_session_and_renews_this_id(app: Flask) -> None:
    name = new_name()
    changer, other = logged_in_clients(app, name, 2)
    before = changer.get_cookie("session").value
    response = change_password(changer, TEST_PASSWORD, "a brand new password")
    assert response.status_code == 204
    assert session_id(response) not in (None, before)
    assert (who(changer), who(other)) == (name, None)
    fresh = app.test_client()
    old = {"username": name, "password": TEST_PASSWORD}
    assert fresh.post("/api/session/login", json=old).status_code == 401
    new = {"username": name, "password": "a brand new password"}
    assert fresh.post("/api/session/login", json=new).status_code == 200


def test_a_wrong_current_password_changes_nothing_and_counts_as_a_failed_login(app: Flask):
    name = new_name()
    changer, other = logged_in_clients(app, name, 2)
    statuses = [
        change_password(changer, "not the password", "x" * 12).status_code for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    assert (who(changer), who(other)) == (name, name)


def test_a_session_ends_at_its_absolute_lifetime_however_active(make_app, redis_client: Redis):
    app = make_app(SESSION_ABSOLUTE_LIFETIME_SECONDS="2")
    [client] = logged_in_clients(app, new_name(), 1)
    sid = client.get_cookie("session").value
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:  # in use all the while: its idle lifetime never lapses
        assert who(client) is not None
        time.sleep(0.1)
    time.sleep(1)
    assert who(client) is None
    assert redis_client.exists(app.config["APP_SETTINGS"].session_key_prefix + sid) == 0


def test_a_login_starts_the_absolute_lifetime_again(make_app) -> None:
    app = make_app(SESSION_ABSOLUTE_LIFETIME_SECONDS="2")
    name = new_name()
    [client] = logged_in_clients(app, name, 1)
    time.sleep(1.5)
    assert log_in(client.post, name).status_code == 200
    time.sleep(1)
    assert who(client) == name


def test_an_absolute_lifetime_that_is_not_a_number_stops_the_start() -> None:
    with pytest.raises(ConfigError, match="SESSION_ABSOLUTE_LIFETIME_SECONDS"):
        load_settings({"SESSION_ABSOLUTE_LIFETIME_SECONDS": "12h"})
