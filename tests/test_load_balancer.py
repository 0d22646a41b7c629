"""Two instances behind the project's own haproxy.cfg (haproxy from Debian's packages, which
.ci/run installs), under steady mixed load from logged-in users: each instance restarted in
turn by the documented procedure (SIGTERM: not-ready while draining, then a graceful stop;
start the new one; wait until the balancer has it back) fails not one request, and an
instance killed outright costs only the requests it had in flight. No acknowledged write is
lost either way. The first instance's SIGTERM reaches its master alone, the second's every
one of its processes at once, as systemd sends it by default. PostgreSQL bakes only (a SQLite
bake keeps one instance), every worker model."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field

import pytest
import requests
from accounts import account
from combinations import WORKER_MODELS, bake_ok, run
from instances import BALANCER_RISE_SECONDS, Instance, balancer, deployment

CLIENTS = 6
PAUSE_SECONDS = 0.02
ITEM_EVERY = 10  # rounds
STEADY_SECONDS = 1.0
DRAIN_SECONDS = 2  # above haproxy's detection: two failed checks, 500 ms apart
# After a kill, haproxy needs two failed checks to take the instance out; until then a new
# connection to it is refused and retried on the other instance.
KILL_SETTLES_WITHIN = 2.0
BROKEN_RESTARTS = 8


@dataclass
class User:
    """One logged-in user's view of the service: what it was told, and every answer."""

    number: int
    counter: str
    http: requests.Session = field(default_factory=requests.Session)
    items: list[str] = field(default_factory=list)  # acknowledged (201)
    increments: int = 0  # acknowledged (200)
    attempted_increments: int = 0
    answers: list[tuple[float, float, int | None]] = field(default_factory=list)
    wrong_reads: list[dict] = field(default_factory=list)

    def ask(self, method: str, url: str, **options) -> requests.Response | None:
        started = time.monotonic()
        try:
            response = self.http.request(method, url, timeout=10, **options)
        except requests.RequestException:
            response = None
        status = response.status_code if response is not None else None
        self.answers.append((started, time.monotonic(), status))
        return response

    def one_round(self, base: str) -> None:
        self.attempted_increments += 1
        if (answer := self.ask("POST", f"{base}/api/counters/{self.counter}")) and answer.ok:
            self.increments += 1
        if self.attempted_increments % ITEM_EVERY == 0:  # a session holds 500 items at most
            item = f"{self.number}-{len(self.answers)}"
            answer = self.ask("POST", f"{base}/api/session/items", json={"item": item})
            if answer is not None and answer.status_code == 201:
                self.items.append(item)
        answer = self.ask("GET", f"{base}/api/session")
        if answer is not None and answer.ok and not set(self.items) <= set(answer.json()["items"]):
            self.wrong_reads.append(answer.json())  # an acknowledged item is missing

    def failures(self) -> list[tuple[float, float, int | None]]:
        return [answer for answer in self.answers if not (answer[2] and answer[2] < 300)]


class SteadyLoad:
    def __init__(self, base: str) -> None:
        self.base = base
        counter = f"balanced-{uuid.uuid4().hex[:8]}"
        self.users = [User(number, counter) for number in range(CLIENTS)]
        for user in self.users:
            # The deployment's instances share one database: signed up by an earlier load, 409.
            body = account(f"user-{user.number}")
            signed_up = user.http.post(f"{base}/api/accounts", json=body, timeout=10)
            assert signed_up.status_code in (201, 409), signed_up.text
            login = user.http.post(f"{base}/api/session/login", json=body, timeout=10)
            assert login.status_code == 200, login.text
        self._running = threading.Event()
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> SteadyLoad:
        self._running.set()
        for user in self.users:
            thread = threading.Thread(target=self._loop, args=(user,), daemon=True)
            thread.start()
            self._threads.append(thread)
        time.sleep(STEADY_SECONDS)
        return self

    def __exit__(self, *_) -> None:
        time.sleep(STEADY_SECONDS)
        self._running.clear()
        for thread in self._threads:
            thread.join(30)

    def _loop(self, user: User) -> None:
        while self._running.is_set():
            user.one_round(self.base)
            time.sleep(PAUSE_SECONDS)

    def answered(self) -> int:
        return sum(len(user.answers) for user in self.users)

    def assert_no_acknowledged_write_lost(self) -> None:
        """Every acknowledged increment is counted (and at most the unanswered ones more),
        and every user's session holds every item it was told was added."""
        value = requests.get(f"{self.base}/api/counters/{self.users[0].counter}", timeout=10)
        acknowledged = sum(user.increments for user in self.users)
        attempted = sum(user.attempted_increments for user in self.users)
        assert acknowledged <= value.json()["value"] <= attempted
        for user in self.users:
            assert user.wrong_reads == []
            stored = user.http.get(f"{self.base}/api/session", timeout=10).json()["items"]
            assert set(user.items) <= set(stored)


def restart_one(
    service, instances: list[Instance], index: int, every_process: bool = False
) -> None:
    """The documented procedure for one instance: stop it (SIGTERM), start the new one, wait
    until the balancer has it back."""
    assert service.stop(instances[index], every_process) == 0
    instances[index] = service.start(instances[index].port)  # answers /readyz with 200
    time.sleep(BALANCER_RISE_SECONDS)  # and the balancer has put it back


def restart_in_turn(service, instances: list[Instance]) -> None:
    """The documented rolling restart, one instance at a time: the first signalled through
    its master, the second through every process."""
    for index in range(len(instances)):
        restart_one(service, instances, index, every_process=index % 2 == 1)


@pytest.mark.parametrize("worker_model", WORKER_MODELS)
def test_rolling_restarts_fail_nothing_and_a_killed_instance_loses_no_write(
    cookies, tmp_path, worker_model: str
) -> None:
    project = bake_ok(cookies, {"worker_model": worker_model, "database": "postgresql"})
    run(["uv", "sync", "--locked", "--quiet", "--no-dev"], project)
    settings = {"TRUSTED_PROXY_HOPS": "1", "GUNICORN_DRAIN_SECONDS": str(DRAIN_SECONDS)}
    with deployment(project, tmp_path, **settings) as service:
        instances = [service.start(), service.start()]
        try:
            with balancer(project, instances, tmp_path) as base:
                with SteadyLoad(base) as rolling:
                    restart_in_turn(service, instances)
                print(f"{worker_model} rolling restart: {rolling.answered()} requests")
                assert [user.failures() for user in rolling.users] == [[]] * CLIENTS
                rolling.assert_no_acknowledged_write_lost()

                with SteadyLoad(base) as killing:
                    killed_at = time.monotonic()
                    service.kill(instances[0])
                    time.sleep(KILL_SETTLES_WITHIN)
                settled = killed_at + KILL_SETTLES_WITHIN
                # Only requests the killed instance had in flight may have failed; users
                # carry on through the other one.
                failures = [answer for user in killing.users for answer in user.failures()]
                print(f"{worker_model} kill: {len(failures)} of {killing.answered()} failed")
                assert [a for a in failures if a[1] < killed_at or a[0] > settled] == []
                carried_on = [a for u in killing.users for a in u.answers if a[0] > settled]
                assert carried_on and all(200 <= a[2] < 300 for a in carried_on)
                killing.assert_no_acknowledged_write_lost()
        finally:
            for instance in instances:
                if instance.process.poll() is None:
                    service.kill(instance)


# The line of the project's gunicorn.conf.py that gives each worker the drain.
WORKER_DRAIN = "drain_worker_before_stop(worker, drain_seconds, flag)"


@pytest.mark.parametrize(
    ("broken", "drain_seconds", "every_process"),
    [("no drain", 0, False), ("no worker drain", DRAIN_SECONDS, True)],
)
def test_without_the_drain_the_same_rolling_restart_fails_requests(
    cookies, tmp_path, broken: str, drain_seconds: int, every_process: bool
) -> None:
    """The broken variants. With GUNICORN_DRAIN_SECONDS=0 gunicorn stops taking requests the
    moment it is asked to stop, while haproxy, which has not yet seen a failed check, still
    sends it some. Without the workers' own drain, a SIGTERM to every process stops the
    workers taking requests at once while the master drains, and those haproxy still sends
    wait until they are cut. Restarts go on until a request fails, at most BROKEN_RESTARTS
    of them (a failure needs a request in flight at the stop: measured, about one restart
    in one)."""
    project = bake_ok(cookies, {"worker_model": "gthread", "database": "postgresql"})
    run(["uv", "sync", "--locked", "--quiet", "--no-dev"], project)
    if broken == "no worker drain":
        config = project / "gunicorn.conf.py"
        text = config.read_text(encoding="utf-8")
        assert WORKER_DRAIN in text
        config.write_text(text.replace(WORKER_DRAIN, "pass"), encoding="utf-8")
    settings = {"TRUSTED_PROXY_HOPS": "1", "GUNICORN_DRAIN_SECONDS": str(drain_seconds)}
    with deployment(project, tmp_path, **settings) as service:
        instances = [service.start(), service.start()]
        try:
            with balancer(project, instances, tmp_path) as base, SteadyLoad(base) as rolling:
                for restart in range(BROKEN_RESTARTS):
                    restart_one(service, instances, restart % len(instances), every_process)
                    if any(user.failures() for user in rolling.users):
                        break
            failed = [answer for user in rolling.users for answer in user.failures()]
            print(f"{broken}: {len(failed)} failed after {restart + 1} restarts")
            assert failed
        finally:
            for instance in instances:
                if instance.process.poll() is None:
                    service.kill(instance)
