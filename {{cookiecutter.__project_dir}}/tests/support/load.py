"""Clients for the live tests: one request's outcome as a client saw it, and a steady
background load from several clients at once while something breaks."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from .common import TEST_PASSWORD, log_in_over_http
from .live_server import LiveServer

REQUEST_TIMEOUT = 15.0
LOAD_CLIENTS = 4
# A short pause between one client's requests: load, without starving the two CPUs.
LOAD_PAUSE = 0.01


@dataclass
class Outcome:
    """One request as the client saw it: when, how long, and what came back."""

    started: float
    finished: float
    status: int | None = None  # None: no HTTP answer (refused, reset, timed out)
    error: str | None = None
    body: dict = field(default_factory=dict)
    retry_after: str | None = None

    @property
    def elapsed(self) -> float:
        return self.finished - self.started

    def overlaps(self, begin: float, end: float) -> bool:
        return self.started <= end and self.finished >= begin

    def within(self, begin: float, end: float) -> bool:
        return begin <= self.started and self.finished <= end


def attempt(method: str, url: str, timeout: float = REQUEST_TIMEOUT, **options) -> Outcome:
    started = time.monotonic()
    try:
        response = requests.request(method, url, timeout=timeout, **options)
    except requests.RequestException as error:
        return Outcome(started, time.monotonic(), error=type(error).__name__)
    outcome = Outcome(started, time.monotonic(), status=response.status_code)
    outcome.retry_after = response.headers.get("Retry-After")
    if response.headers.get("Content-Type", "").startswith("application/json"):
        outcome.body = response.json()
    return outcome


def is_json_503(outcome: Outcome, dependency: str) -> bool:
    """The answer a client can act on: which dependency failed, and when to retry."""
    return (
        outcome.status == 503
        and outcome.body.get("error", {}).get("code") == f"{dependency}_unavailable"
        and outcome.retry_after is not None
        and int(outcome.retry_after) >= 1
    )


def is_overloaded(outcome: Outcome) -> bool:
    """A request that waited past the queue's budget behind others, refused instead of run
    late (worker_models/bounded_*.py): what a worker answers while requests pile up."""
    return (
        outcome.status == 503
        and outcome.body.get("error", {}).get("code") == "overloaded"
        and outcome.retry_after is not None
    )


class BackgroundLoad:
    """`clients` threads, each repeating `one_request(client_number)` until the block ends."""

    def __init__(self, one_request: Callable[[int], Outcome], clients: int = LOAD_CLIENTS):
        self.one_request = one_request
        self.clients = clients
        self.outcomes: list[Outcome] = []
        self._running = threading.Event()
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> BackgroundLoad:
        self._running.set()
        for number in range(self.clients):
            thread = threading.Thread(target=self._client, args=(number,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, error_type, *_) -> None:
        self._running.clear()
        for thread in self._threads:
            thread.join(REQUEST_TIMEOUT + 5)
        if error_type is None:  # never hide the failure that ended the block early
            assert not any(thread.is_alive() for thread in self._threads), "a load client hung"

    def _client(self, number: int) -> None:
        while self._running.is_set():
            self.outcomes.append(self.one_request(number))  # list.append is thread-safe
            time.sleep(LOAD_PAUSE)

    def between(self, begin: float, end: float) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.within(begin, end)]

    def started_after(self, moment: float) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.started >= moment]


def wait_for(condition: Callable[[], bool], seconds: float) -> float | None:
    """The time `condition` first held, polling for at most `seconds`; None if it never did."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        time.sleep(0.05)
    return None


def logged_in_cookies(server: LiveServer, username: str) -> dict[str, str]:
    with requests.Session() as http:
        response = log_in_over_http(http, server.url, username, timeout=10)
        assert response.status_code == 200, response.text
        return {"session": http.cookies["session"]}


def sign_up(server: LiveServer, username: str) -> dict[str, str]:
    """An account for a login the test sends itself (during an outage, say): its name and
    password, the login's body. Signing up needs the database alone (@sessionless)."""
    account = {"username": username, "password": TEST_PASSWORD}
    response = requests.post(server.url("/api/accounts"), json=account, timeout=10)
    assert response.status_code in (201, 409), response.text
    return account
