"""The session routes, end to end against real Redis."""

from __future__ import annotations

from flask import Flask
from redis import Redis

from ..support.common import SESSION_COOKIE, TEST_PASSWORD, log_in, session_id

FRESH_COOKIE = f"{SESSION_COOKIE}_fresh"


def test_a_new_visitor_has_an_empty_session_and_no_cookie(client) -> None:
    response = client.get("/api/session")
    assert response.status_code == 200
    assert response.get_json() == {"username": None, "items": []}
    assert session_id(response) is None
    assert "Cookie" in response.headers.get("Vary", "")


def test_login_sets_the_username_and_a_fresh_id(client, redis_client: Redis, key_prefix) -> None:
    # Items need a login: the session that holds one is a login's, and logging in again on
    # it is the login under test.
    first = session_id(log_in(client.post, "alice"))
    assert client.post("/api/session/items", json={"item": "kept"}).status_code == 201
    response = log_in(client.post, "alice")
    assert response.status_code == 200
    assert response.get_json() == {"username": "alice"}
    second = session_id(response)
    assert second not in (None, first)
    assert redis_client.exists(key_prefix + first) == 0
    assert client.get("/api/session").get_json() == {"username": "alice", "items": ["kept"]}


def test_login_regenerates_even_an_empty_session(app: Flask, redis_client, key_prefix) -> None:
    client = app.test_client()
    planted = "planted-session-id-known-to-an-attacker"
    client.set_cookie(SESSION_COOKIE, planted)
    sid = session_id(log_in(client.post, "alice"))
    assert sid not in (None, planted)
    assert redis_client.exists(key_prefix + planted) == 0


def test_items_are_appended_in_order(client) -> None:
    assert log_in(client.post, "alice").status_code == 200
    for item in ("one", "two", "three"):
        response = client.post("/api/session/items", json={"item": item})
        assert response.status_code == 201
    assert response.get_json() == {"items": ["one", "two", "three"]}
    assert client.get("/api/session").get_json()["items"] == ["one", "two", "three"]


def test_five_hundred_items_fit_and_the_next_is_refused(client) -> None:
    assert log_in(client.post, "alice").status_code == 200
    for number in range(500):
        assert client.post("/api/session/items", json={"item": f"item {number}"}).status_code == 201
    response = client.post("/api/session/items", json={"item": "one too many"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "session_full"
    assert len(client.get("/api/session").get_json()["items"]) == 500


def test_logout_deletes_the_key_and_expires_the_cookie(client, redis_client, key_prefix) -> None:
    sid = session_id(log_in(client.post, "alice"))
    assert redis_client.exists(key_prefix + sid) == 1
    response = client.post("/api/session/logout")
    assert response.status_code == 204
    assert redis_client.exists(key_prefix + sid) == 0
    assert session_id(response) == ""  # the cookie is cleared
    assert f"{FRESH_COOKIE}=;" in " ".join(response.headers.getlist("Set-Cookie"))
    assert client.get("/api/session").get_json() == {"username": None, "items": []}


def test_every_session_has_a_ttl_and_a_read_extends_it(client, redis_client, key_prefix) -> None:
    login = log_in(client.post, "alice")
    sid = session_id(login)
    key = key_prefix + sid
    assert 0 < redis_client.ttl(key) <= 86400
    assert f"{FRESH_COOKIE}=1" in " ".join(login.headers.getlist("Set-Cookie"))
    redis_client.expire(key, 100)
    response = client.get("/api/session")
    assert redis_client.ttl(key) > 100
    assert session_id(response) is None  # the cookie is young: nothing to re-send


def test_a_read_re_sends_the_cookie_once_it_is_half_its_age(client, redis_client) -> None:
    sid = session_id(log_in(client.post, "alice"))
    client.delete_cookie(FRESH_COOKIE)  # as the browser does when its max-age has passed
    response = client.get("/api/session")
    assert session_id(response) == sid  # the cookie's expiry moves with the key's
    assert f"{FRESH_COOKIE}=1" in " ".join(response.headers.getlist("Set-Cookie"))
    assert session_id(client.get("/api/session")) is None


def test_the_session_cookie_is_the_last_one_set(client) -> None:
    # A client that keeps one Set-Cookie per response keeps the session, not its marker.
    login = log_in(client.post, "alice")
    assert login.headers.getlist("Set-Cookie")[-1].startswith(f"{SESSION_COOKIE}=")
    client.delete_cookie(FRESH_COOKIE)
    refreshed = client.get("/api/session")
    assert refreshed.headers.getlist("Set-Cookie")[-1].startswith(f"{SESSION_COOKIE}=")
    logout = client.post("/api/session/logout")
    assert logout.headers.getlist("Set-Cookie")[-1].startswith(f"{SESSION_COOKIE}=;")


def test_usernames_and_items_are_bounded(client) -> None:
    assert log_in(client.post, "a" * 64).status_code == 200
    for body, path in (
        ({"username": "", "password": TEST_PASSWORD}, "login"),
        ({"username": "ab", "password": TEST_PASSWORD}, "login"),
        ({"username": "a" * 65, "password": TEST_PASSWORD}, "login"),
        ({"username": "line\nbreak", "password": TEST_PASSWORD}, "login"),
        ({"username": 7, "password": TEST_PASSWORD}, "login"),
        ({"item": ""}, "items"),
        ({"item": "x" * 201}, "items"),
        ({"item": None}, "items"),
        ({}, "items"),
    ):
        response = client.post(f"/api/session/{path}", json=body)
        assert response.status_code == 422, body
        assert response.get_json()["error"]["code"] == "validation_failed"
    assert client.post("/api/session/items", json={"item": "x" * 200}).status_code == 201


def test_a_login_as_someone_else_keeps_nothing_of_the_session_before(client) -> None:
    assert log_in(client.post, "alice").status_code == 200
    assert client.post("/api/session/items", json={"item": "alice's"}).status_code == 201
    assert log_in(client.post, "bobby").status_code == 200
    assert client.get("/api/session").get_json() == {"username": "bobby", "items": []}
