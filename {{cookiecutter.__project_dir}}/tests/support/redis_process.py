"""A redis-server of one test's own, on a free loopback port, that the test may stop and start.

The shared Redis other test runs use is never stopped: an outage is simulated on this one.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from .common import free_port

START_SECONDS = 10.0
STOP_SECONDS = 5.0


def redis_server_binary() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(
            "redis-server is not on PATH: the outage tests run a Redis of their own "
            "(install redis-server, e.g. apt-get install redis-server)"
        )
    return binary


class RedisProcess:
    """redis-server without persistence on 127.0.0.1:`port`; stop() and start() keep the port.

    `arguments` come first on its command line: a config file and `--sentinel` make it a
    sentinel, `--replicaof HOST PORT` a replica."""

    def __init__(self, directory: Path, *arguments: str, name: str = "redis") -> None:
        self.binary = redis_server_binary()
        self.directory = directory
        self.arguments = arguments
        self.name = name
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.process is None, "already running"
        self.starts += 1
        command = [
            self.binary,
            *self.arguments,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.directory),
        ]  # fmt: skip
        with (self.directory / f"{self.name}-{self.starts}.log").open("wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self._wait_until_answering()

    def stop(self) -> None:
        """Redis goes away: its clients are disconnected and new connections are refused."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGCONT)  # a paused process would not act on SIGTERM
        process.terminate()
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_SECONDS)

    def kill(self) -> None:
        """Redis dies at once (SIGKILL): no shutdown, nothing written, nothing said."""
        assert self.process is not None, "not running"
        self.process.kill()
        self.process.wait(STOP_SECONDS)
        self.process = None

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Redis hangs: connections stay open, new ones are even accepted, nothing is answered.

        Only timeouts get a client out of this, unlike a stopped Redis that refuses at once.
        """
        assert self.process is not None, "not running"
        self.process.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            self.process.send_signal(signal.SIGCONT)

    def _wait_until_answering(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_SECONDS
        client = Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1)
        try:
            while True:
                with contextlib.suppress(Exception):
                    if client.ping():
                        return
                if self.process.poll() is not None:
                    pytest.fail(f"redis-server exited at start: {self.log()}")
                if time.monotonic() > deadline:
                    pytest.fail(f"redis-server not answering after {START_SECONDS} s: {self.log()}")
                time.sleep(0.05)
        finally:
            client.close()

    def log(self) -> str:
        path = self.directory / f"{self.name}-{self.starts}.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


@contextlib.contextmanager
def dedicated_redis(
    directory: Path, *arguments: str, name: str = "redis"
) -> Iterator[RedisProcess]:
    """A running redis-server, stopped whatever happens in the test."""
    redis = RedisProcess(directory, *arguments, name=name)
    try:
        redis.start()
        yield redis
    finally:
        redis.stop()
