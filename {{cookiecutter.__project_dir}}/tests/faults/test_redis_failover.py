"""Redis Sentinel under the real gunicorn: the master that holds the sessions dies (SIGKILL)
or freezes (SIGSTOP) while users hold sessions and keep reading them. Every answer in the
meantime is a 2xx or a JSON 503 with Retry-After, never a 500 or a traceback; within ten
seconds the sentinels have promoted the replica, the sessions written and replicated before
the failure read back whole, and new writes succeed, with no restart of the service."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import pytest
import requests

from ..support.live_server import LiveServer, start
from ..support.load import (
    BackgroundLoad,
    Outcome,
    attempt,
    is_json_503,
    is_overloaded,
    logged_in_cookies,
    sign_up,
    wait_for,
)
from ..support.redis_sentinels import SentinelGroup, sentinel_group

USERS = 6
ITEMS = ("first", "second")
RECOVERY_SECONDS = 10.0
WARM_UP_SECONDS = 0.5
# Signed up before the failure (a signup needs only the database); logs in during it.
NEWCOMER = "newcomer"


def users_with_sessions(live: LiveServer) -> list[tuple[dict, dict]]:
    """USERS logged-in users, each with two items: (cookies, the state it must read back)."""
    users = []
    for number in range(USERS):
        username = f"held-{number}"
        cookies = logged_in_cookies(live, username)
        for item in ITEMS:
            added = requests.post(
                live.url("/api/session/items"), json={"item": item}, cookies=cookies, timeout=10
            )
            assert added.status_code == 201, added.text
        users.append((cookies, {"username": username, "items": list(ITEMS)}))
    return users


def reads_back_whole(live: LiveServer, cookies: dict, state: dict) -> bool:
    response = requests.get(live.url("/api/session"), cookies=cookies, timeout=5)
    return response.status_code == 200 and response.json() == state


def writes_succeed(live: LiveServer, account: dict) -> bool:
    """A user logs in to a new session, adds an item and reads it back: writes (the login's
    places in the throttle, the session) reach the new master."""
    with requests.Session() as http:
        try:
            login = http.post(live.url("/api/session/login"), json=account, timeout=5)
            added = http.post(live.url("/api/session/items"), json={"item": "after"}, timeout=5)
            state = http.get(live.url("/api/session"), timeout=5)
        except requests.RequestException:
            return False
    return (login.status_code, added.status_code, state.status_code) == (200, 201, 200) and (
        state.json() == {"username": account["username"], "items": ["after"]}
    )


@contextlib.contextmanager
def master_failure(group: SentinelGroup, failure: str) -> Iterator[None]:
    if failure == "killed":
        group.master.kill()
        yield
    else:
        with group.master.paused():  # resumed afterwards: the sentinels make it a replica
            yield


@pytest.mark.parametrize("failure", ["killed", "frozen"])
def test_sessions_survive_the_loss_of_the_master(live_settings, tmp_path, failure: str) -> None:
    with (
        sentinel_group(tmp_path) as group,
        start({**live_settings, "redis_url": group.url}, f"sentinel-{failure}") as live,
    ):
        users = users_with_sessions(live)
        newcomer = sign_up(live, NEWCOMER)
        group.replicated()
        first_master, workers = group.master_port(), live.worker_pids()

        mismatches = []

        def read_session(client: int) -> Outcome:
            cookies, state = users[client % USERS]
            outcome = attempt("GET", live.url("/api/session"), cookies=cookies, timeout=5)
            if outcome.status == 200 and outcome.body != state:
                mismatches.append((state, outcome.body))  # list.append is thread-safe
            return outcome

        with BackgroundLoad(read_session) as load:
            time.sleep(WARM_UP_SECONDS)
            failed_at = time.monotonic()
            with master_failure(group, failure):
                recovered_at = wait_for(
                    lambda: (
                        writes_succeed(live, newcomer)
                        and all(reads_back_whole(live, *user) for user in users)
                    ),
                    RECOVERY_SECONDS,
                )
        assert recovered_at is not None, f"not recovered within {RECOVERY_SECONDS} s"
        assert recovered_at - failed_at < RECOVERY_SECONDS
        assert group.master_port() != first_master, "the replica should have been promoted"
        assert live.worker_pids() == workers, "no worker may have been restarted"

    outcomes = load.outcomes
    assert any(is_json_503(outcome, "redis") for outcome in outcomes), "no outage was seen"
    # While the frozen master holds each request for its timeout, a sync worker's listen
    # queue may hold some past the budget: those are refused as overloaded.
    fine = [o.status == 200 or is_json_503(o, "redis") or is_overloaded(o) for o in outcomes]
    assert [o for o, ok in zip(outcomes, fine, strict=True) if not ok] == []
    assert mismatches == [], "a session read back other than it was written"
    assert [record for record in live.records() if "exception" in record] == []
    assert [r for r in live.access_records() if r["status"] >= 500 and r["status"] != 503] == []
