"""Forty wrong passwords for one account, sent at once to two instances of the service (two
workers each), get exactly the limit's five 401s: every attempt takes its place in the
Redis window before its password is checked. Tested first and counted after the password
(the broken variant), the same burst lets more than five through."""

from __future__ import annotations

import uuid
from collections import Counter

import requests

from ..support.common import TEST_PASSWORD
from ..support.live_server import WITHOUT_QUEUE_BUDGET, LiveServer, many_at_once, start

BURST = 40
LIMIT = 5  # LOGIN_ACCOUNT_LIMIT's default: 5 per 15 minutes


def burst_of_wrong_passwords(instances: list[LiveServer], path: str) -> Counter:
    name = f"victim-{uuid.uuid4().hex[:12]}"
    account = {"username": name, "password": TEST_PASSWORD}
    assert requests.post(instances[0].url("/api/accounts"), json=account, timeout=10).ok

    def wrong_login(number: int) -> int:
        url = instances[number % len(instances)].url(path)
        body = {"username": name, "password": f"guess number {number}"}
        return requests.post(url, json=body, timeout=30).status_code

    return Counter(many_at_once(wrong_login, BURST))


def two_instances(live_settings: dict, name: str):
    # Both instances share the database, Redis and the key prefixes, as a deployment's do.
    # The queue's budget is out of the way: a refusal as overloaded is not what is counted.
    return (
        start(live_settings, f"{name}-a", **WITHOUT_QUEUE_BUDGET),
        start(live_settings, f"{name}-b", **WITHOUT_QUEUE_BUDGET),
    )


def test_a_burst_across_two_instances_gets_exactly_the_limits_failures(live_settings) -> None:
    first, second = two_instances(live_settings, "throttle")
    with first as a, second as b:
        answers = burst_of_wrong_passwords([a, b], "/api/session/login")
    assert answers == {401: LIMIT, 429: BURST - LIMIT}


def test_checked_first_and_counted_after_more_get_through(live_settings) -> None:
    first, second = two_instances(live_settings, "throttle-broken")
    with first as a, second as b:
        answers = burst_of_wrong_passwords([a, b], "/test/login-check-then-count")
    assert set(answers) <= {401, 429}
    assert answers[401] > LIMIT
