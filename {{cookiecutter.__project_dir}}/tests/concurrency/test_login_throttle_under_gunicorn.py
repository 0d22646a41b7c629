"""Forty wrong passwords for one account, sent at once to two instances of the service (two
workers each), get exactly the limit's five 401s: every attempt takes its place in the
Redis window before its password is checked. Tested first and counted after the password
(the broken variant), the same burst lets more than five through."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
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


@pytest.fixture(scope="module")
def instances(live_settings: dict) -> Iterator[list[LiveServer]]:
    # Both instances share the database, Redis and the key prefixes, as a deployment's do.
    # The queue's budget is out of the way: a refusal as overloaded is not what is counted.
    with (
        start(live_settings, "throttle-a", **WITHOUT_QUEUE_BUDGET) as a,
        start(live_settings, "throttle-b", **WITHOUT_QUEUE_BUDGET) as b,
    ):
        yield [a, b]


def test_a_burst_across_two_instances_gets_exactly_the_limits_failures(instances) -> None:
    answers = burst_of_wrong_passwords(instances, "/api/session/login")
    assert answers == {401: LIMIT, 429: BURST - LIMIT}


def test_checked_first_and_counted_after_more_get_through(instances) -> None:
    answers = burst_of_wrong_passwords(instances, "/test/login-check-then-count")
    assert set(answers) <= {401, 429}
    assert answers[401] > LIMIT
