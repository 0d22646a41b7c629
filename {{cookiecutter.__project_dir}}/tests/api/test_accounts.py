"""Signing up and logging in with a password, against the real database and Redis."""

from __future__ import annotations

import dataclasses
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from argon2 import extract_parameters
from flask import Flask
from sqlalchemy import select

from {{ cookiecutter.package_name }}.machinery import settings
from {{ cookiecutter.package_name }}.machinery.extensions import db
from {{ cookiecutter.package_name }}.machinery.passwords import EXTENSION as PASSWORDS
from {{ cookiecutter.package_name }}.machinery.passwords import Passwords
from {{ cookiecutter.package_name }}.models import Account

from ..support.common import TEST_PASSWORD, log_in, session_id


def new_name() -> str:
    return f"user-{uuid.uuid4().hex[:12]}"


def sign_up(client, username: str, password: str = TEST_PASSWORD):
    return client.post("/api/accounts", json={"username": username, "password": password})


def log_in_with(client, username: str, password: str):
    return client.post("/api/session/login", json={"username": username, "password": password})


def stored_hash(app: Flask, username: str) -> str:
    with app.app_context():
        query = select(Account.password_hash).where(Account.username == username)
        return db.session.execute(query).scalar_one()


def test_a_new_account_is_kept_in_lower_case_with_an_argon2id_hash(app: Flask, client) -> None:
    name = new_name()
    response = sign_up(client, name.upper())
    assert response.status_code == 201
    assert response.get_json() == {"username": name}
    kept = stored_hash(app, name)
    assert TEST_PASSWORD not in kept
    parameters = extract_parameters(kept)
    assert parameters.type.name == "ID"
    assert parameters.memory_cost >= settings.OWASP_MIN_MEMORY_KIB
    assert parameters.time_cost >= settings.OWASP_MIN_TIME_COST
    assert session_id(response) is None  # signing up logs nobody in


def test_a_taken_name_in_any_letter_case_is_a_409(client) -> None:
    name = new_name()
    assert sign_up(client, name).status_code == 201
    response = sign_up(client, name.upper(), "another password")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "username_taken"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "ab", "password": TEST_PASSWORD}, "username"),
        ({"username": "a" * 65, "password": TEST_PASSWORD}, "username"),
        ({"username": "with space", "password": TEST_PASSWORD}, "username"),
        ({"username": "ünïcode", "password": TEST_PASSWORD}, "username"),
        ({"username": "fine-name", "password": "short"}, "password"),
        ({"username": "fine-name", "password": "x" * 129}, "password"),
        ({"username": "fine-name"}, "password"),
    ],
)
def test_a_bad_name_or_password_is_a_422_naming_the_field(client, body, field) -> None:
    response = client.post("/api/accounts", json=body)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert field in error["fields"]


def test_login_with_the_password_gives_a_new_session_id(client) -> None:
    name = new_name()
    sign_up(client, name)
    before = session_id(client.post("/api/session/items", json={"item": "kept"}))
    response = log_in_with(client, name.upper(), TEST_PASSWORD)
    assert response.status_code == 200
    assert response.get_json() == {"username": name}
    assert session_id(response) not in (None, before)
    assert client.get("/api/session").get_json()["username"] == name


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(client) -> None:
    name = new_name()
    sign_up(client, name)
    wrong = log_in_with(client, name, "not the password")
    unknown = log_in_with(client, new_name(), TEST_PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()
    assert wrong.get_json()["error"]["code"] == "invalid_credentials"
    assert session_id(wrong) is None and session_id(unknown) is None
    assert client.get("/api/session").get_json()["username"] is None


def median_seconds(client, username: str, password: str, rounds: int = 9) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        assert log_in_with(client, username, password).status_code == 401
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def timing_ratio(app: Flask) -> float:
    """How much longer a wrong password takes than an unknown name (1.0: the same)."""
    client = app.test_client()
    names = [new_name() for _ in range(2)]
    for name in names:
        sign_up(client, name)
    # Two rounds of each, alternating, so that a busy moment weighs on both alike.
    wrong = [median_seconds(client, name, "not the password", 5) for name in names]
    unknown = [median_seconds(client, new_name(), "not the password", 5) for _ in names]
    return statistics.median(wrong) / statistics.median(unknown)


def test_an_unknown_name_costs_the_time_of_a_wrong_password(make_app) -> None:
    # A generous throttle: this test sends many failed logins from one address on purpose.
    app = make_app(LOGIN_ACCOUNT_LIMIT="100 per minute", LOGIN_ADDRESS_LIMIT="100 per minute")
    assert 0.5 < timing_ratio(app) < 2


def test_without_the_dummy_hash_the_time_tells_which_names_exist(make_app) -> None:
    # The broken variant: an unknown name is refused without hashing anything.
    app = make_app(LOGIN_ACCOUNT_LIMIT="100 per minute", LOGIN_ADDRESS_LIMIT="100 per minute")
    passwords = app.extensions[PASSWORDS]

    class SkipsUnknownNames(Passwords):
        def verify(self, stored_hash, password):
            return stored_hash is not None and super().verify(stored_hash, password)

    app.extensions[PASSWORDS] = SkipsUnknownNames(
        **{field.name: getattr(passwords, field.name) for field in dataclasses.fields(passwords)}
    )
    assert timing_ratio(app) > 3


def test_a_hash_made_with_older_parameters_is_replaced_at_login(make_app) -> None:
    name = new_name()
    old_app = make_app()
    log_in(old_app.test_client().post, name)
    old_hash = stored_hash(old_app, name)
    new_app = make_app(PASSWORD_HASH_TIME_COST="3")
    assert log_in_with(new_app.test_client(), name, TEST_PASSWORD).status_code == 200
    new_hash = stored_hash(new_app, name)
    assert new_hash != old_hash
    assert extract_parameters(new_hash).time_cost == 3
    # The new hash is used: the same login with the same parameters rewrites nothing.
    assert log_in_with(new_app.test_client(), name, TEST_PASSWORD).status_code == 200
    assert stored_hash(new_app, name) == new_hash


def test_no_more_hashes_run_at_once_than_there_are_slots(make_app) -> None:
    app = make_app(PASSWORD_HASH_SLOTS="2")
    running, most, lock = [0], [0], threading.Lock()

    def counted(function, *args):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            return function(*args)
        finally:
            with lock:
                running[0] -= 1

    passwords = app.extensions[PASSWORDS]
    app.extensions[PASSWORDS] = dataclasses.replace(passwords, run=counted)

    def sign_up_one(_):
        return sign_up(app.test_client(), new_name()).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(sign_up_one, range(16))) == [201] * 16
    assert most[0] == 2


def test_a_request_that_waits_too_long_for_a_slot_gets_a_503(app: Flask, client) -> None:
    slots = app.extensions[PASSWORDS].slots
    slots.acquire()
    slots.acquire()  # both slots held, as by two long hashes
    try:
        response = sign_up(client, new_name())
    finally:
        slots.release()
        slots.release()
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "overloaded"
    assert response.headers["Retry-After"] == "1"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PASSWORD_HASH_MEMORY_KIB", "8192"),
        ("PASSWORD_HASH_TIME_COST", "1"),
        ("PASSWORD_HASH_SLOTS", "0"),
    ],
)
def test_hash_settings_below_the_minimum_stop_the_start(name: str, value: str) -> None:
    with pytest.raises(settings.ConfigError, match=name):
        settings.load_settings({name: value})
