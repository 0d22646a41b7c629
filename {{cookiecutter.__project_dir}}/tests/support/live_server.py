"""Runs the real gunicorn, with the project's own gunicorn.conf.py, for tests over HTTP."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

from .common import TEST_SECRET_KEY, free_port

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROJECT_CONFIG = PROJECT_ROOT / "gunicorn.conf.py"
# The service plus the routes only tests use (tests/support/instrumented_app.py).
INSTRUMENTED_APP = "tests.support.instrumented_app:app"
# For a test about something else that sends more at once than the threads serve within
# the queue's budget (gthread refuses the rest: worker_models/bounded_threads.py).
WITHOUT_QUEUE_BUDGET = {"GUNICORN_QUEUE_BUDGET_MS": "600000"}


@dataclass
class LiveServer:
    base_url: str
    process: subprocess.Popen
    log_path: Path

    def url(self, path: str) -> str:
        return self.base_url + path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def wait_until_every_worker_answers(self, seconds: float = 30) -> None:
        """A worker is listed as soon as it is forked, but it handles signals as a worker only
        once it has set itself up (gunicorn's Worker.init_signals): until then it keeps the
        master's handler, and a SIGTERM sent to it is lost. One that has answered is set up."""
        deadline = time.monotonic() + seconds
        answered: set[int] = set()
        while not set(self.worker_pids()) <= answered:
            assert time.monotonic() < deadline, f"not every worker answers: {self.worker_pids()}"
            answered.add(requests.get(self.url("/test/pid"), timeout=5).json()["pid"])

    def records(self) -> list[dict]:
        """Every line of the log as the JSON object it must be (LOG_FORMAT=json)."""
        records = []
        for number, line in enumerate(self.log().splitlines(), 1):
            try:
                records.append(json.loads(line))
            except ValueError:
                raise AssertionError(f"line {number} is not JSON: {line!r}") from None
        return records

    def access_records(self) -> list[dict]:
        return [record for record in self.records() if record["logger"] == "gunicorn.access"]

    def assert_clean_log(self) -> None:
        """Every line JSON, no exception and no 5xx answer: what a healthy run looks like."""
        records = self.records()
        assert [record for record in records if "exception" in record] == [], self.log()
        assert [r for r in self.access_records() if r["status"] >= 500] == [], self.log()


def broken_config(tmp_path: Path, hooks: tuple[str, ...] = (), lines: tuple[str, ...] = ()) -> Path:
    """The project's config with worker hooks (server, worker) made no-ops, or lines removed:
    the broken variants that show a test can see the failure it guards against."""
    text = PROJECT_CONFIG.read_text(encoding="utf-8")
    for line in lines:
        assert line in text, line
        text = text.replace(line, "pass  # removed for a broken-variant test")
    for hook in hooks:
        text += f"\n\ndef {hook}(server, worker):\n    pass\n"
    path = tmp_path / "broken.gunicorn.conf.py"
    path.write_text(text, encoding="utf-8")
    return path


@contextlib.contextmanager
def running_gunicorn(
    log_path: Path,
    *,
    database_url: str,
    redis_url: str,
    key_prefix: str,
    app: str | None = INSTRUMENTED_APP,
    config: Path = PROJECT_CONFIG,
    **env: str,
) -> Iterator[LiveServer]:
    port = free_port()
    environment = {
        **os.environ,
        "SECRET_KEY": TEST_SECRET_KEY,
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url,
        "SESSION_KEY_PREFIX": key_prefix,
        "CACHE_KEY_PREFIX": f"{key_prefix}cache:",
        "THROTTLE_KEY_PREFIX": f"{key_prefix}throttle:",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        # Plain HTTP on loopback: a Secure cookie would never be sent back.
        "SESSION_COOKIE_SECURE": "false",
        **env,
    }
    command = [str(Path(sys.executable).with_name("gunicorn")), "--config", str(config)]
    if app is not None:
        command.append(app)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
        )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log_path)
    try:
        wait_until_serving(server, workers=int(environment["WEB_CONCURRENCY"]))
        yield server
    finally:
        stop(server)


def wait_until_serving(server: LiveServer, seconds: float = 30, workers: int = 2) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(server.url("/healthz"), timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        assert server.process.poll() is None, f"gunicorn exited:\n{server.log()}"
        assert time.monotonic() < deadline, f"not serving after {seconds} s:\n{server.log()}"
        time.sleep(0.1)
    # Every worker must be up, or the first requests all land on one process.
    while len(server.worker_pids()) < workers and time.monotonic() < deadline:
        time.sleep(0.1)


def stop(server: LiveServer, timeout: float = 60) -> int:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    return server.process.returncode


def start(settings: dict, name: str, **options) -> contextlib.AbstractContextManager[LiveServer]:
    """A server for `settings` (see the live_settings fixture), logging to `name`.log."""
    return running_gunicorn(
        settings["logs"] / f"{name}.log",
        database_url=settings["database_url"],
        redis_url=settings["redis_url"],
        key_prefix=settings["key_prefix"],
        **options,
    )


def many_at_once(task: Callable[[int], object], count: int) -> list:
    """Run task(0..count-1) on `count` threads at once: that many concurrent clients."""
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(task, range(count)))
