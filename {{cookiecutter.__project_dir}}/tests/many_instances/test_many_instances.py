"""Two instances of the service (two gunicorn masters, their own config) sharing one Redis
and one database: a user whose requests alternate between them keeps exactly their own
session, a logout on one is a logout on both, and counters incremented through both stay
exact. The instances keep nothing of their own between requests but their pools."""

from __future__ import annotations

import uuid

import requests

from ..support.common import log_in_over_http
from ..support.live_server import LiveServer, many_at_once, start

USERS = 12
ITEMS_PER_USER = 6
INCREMENTS = 40


def alternating(instances: list[LiveServer], user: int) -> None:
    """One user's requests, each to the next instance in turn."""
    username = f"roaming-{user}"
    urls = [instance.url for instance in instances]
    with requests.Session() as http:
        assert log_in_over_http(http, urls[user % 2], username).ok
        items = []
        for number in range(ITEMS_PER_USER):
            item = f"{username}-{number}"
            added = http.post(urls[number % 2]("/api/session/items"), json={"item": item})
            assert added.status_code == 201, added.text
            items.append(item)
            for url in urls:  # every instance sees the same session at once
                assert http.get(url("/api/session")).json() == {
                    "username": username,
                    "items": items,
                }
        assert http.post(urls[user % 2]("/api/session/logout")).status_code == 204
        for url in urls:
            assert http.get(url("/api/session")).json() == {"username": None, "items": []}


def test_users_alternating_between_instances_keep_their_own_sessions(live_settings) -> None:
    with start(live_settings, "instance-a") as one, start(live_settings, "instance-b") as two:
        many_at_once(lambda user: alternating([one, two], user), USERS)

        name = f"shared-{uuid.uuid4().hex[:8]}"
        instances = (one, two)

        def increment(number: int) -> int:
            response = requests.post(instances[number % 2].url(f"/api/counters/{name}"), timeout=10)
            assert response.status_code == 200, response.text
            return response.json()["value"]

        values = many_at_once(increment, INCREMENTS)
        assert sorted(values) == list(range(1, INCREMENTS + 1))
    one.assert_clean_log()
    two.assert_clean_log()
