"""The broken variants of the login's safeguards, for the tests that must see them fail.

TEST_HASH_ON_THE_LOOP=1 hashes passwords in the calling greenlet (under gevent, on the
event loop) instead of in a thread. POST /test/login-check-then-count is login throttled
as it is often written (Flask-Limiter's deduct_when does the same): each limit is tested
before the password is checked, and a failure is counted after it.
"""

from __future__ import annotations

import dataclasses
import os

from flask import Flask, jsonify, request
from limits.strategies import MovingWindowRateLimiter

from {{ cookiecutter.package_name }} import accounts
from {{ cookiecutter.package_name }}.machinery.login_throttle import login_throttle
from {{ cookiecutter.package_name }}.machinery.passwords import EXTENSION as PASSWORDS
from {{ cookiecutter.package_name }}.machinery.sessions import sessionless


def _call_here(function, *args):
    return function(*args)


@sessionless
def check_then_count_login():
    body = request.get_json()
    throttle = login_throttle()
    limiter = MovingWindowRateLimiter(throttle.storage)
    identities = [
        (limit, kind, request.remote_addr if kind == "address" else body["username"])
        for kind, limit in throttle.limits
    ]
    if not all(limiter.test(limit, kind, who) for limit, kind, who in identities):
        return jsonify(error={"code": "too_many_attempts", "message": "Wait"}), 429
    if accounts.authenticate(body["username"], body["password"]) is None:
        for limit, kind, who in identities:
            limiter.hit(limit, kind, who)
        return jsonify(error={"code": "invalid_credentials", "message": "Wrong"}), 401
    return {"username": body["username"]}


def instrument_logins(app: Flask) -> None:
    app.add_url_rule(
        "/test/login-check-then-count", view_func=check_then_count_login, methods=["POST"]
    )
    if os.environ.get("TEST_HASH_ON_THE_LOOP") == "1":
        passwords = app.extensions[PASSWORDS]
        app.extensions[PASSWORDS] = dataclasses.replace(passwords, run=_call_here)
