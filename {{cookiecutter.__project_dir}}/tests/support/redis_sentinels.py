"""A Redis master, a replica and three sentinels of one test's own, on free loopback ports:
what a highly available Redis is, small enough to kill its master in a test."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

from redis import Redis

from .redis_process import RedisProcess

SERVICE = "sessions"
QUORUM = 2
DOWN_AFTER_MILLISECONDS = 1000
SETTLE_SECONDS = 20.0
SENTINEL_CONFIG = """\
sentinel monitor {service} 127.0.0.1 {master} {quorum}
sentinel down-after-milliseconds {service} {down_after}
sentinel failover-timeout {service} 5000
sentinel parallel-syncs {service} 1
"""


class SentinelGroup:
    def __init__(self, directory: Path) -> None:
        self.master = RedisProcess(directory, name="master")
        self.replica = RedisProcess(
            directory, "--replicaof", "127.0.0.1", str(self.master.port), name="replica"
        )
        self.sentinels = []
        for number in range(3):
            config = directory / f"sentinel-{number}.conf"
            config.write_text(
                SENTINEL_CONFIG.format(
                    service=SERVICE,
                    master=self.master.port,
                    quorum=QUORUM,
                    down_after=DOWN_AFTER_MILLISECONDS,
                ),
                encoding="utf-8",
            )
            self.sentinels.append(
                RedisProcess(directory, str(config), "--sentinel", name=f"sentinel-{number}")
            )

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{sentinel.port}" for sentinel in self.sentinels)
        return f"redis+sentinel://{hosts}/{SERVICE}/0"

    def master_port(self) -> int:
        """Where the sentinels say the master is now."""
        with Redis(port=self.sentinels[0].port, socket_timeout=1) as sentinel:
            return int(sentinel.sentinel_get_master_addr_by_name(SERVICE)[1])

    def client(self, port: int) -> Redis:
        return Redis(port=port, socket_timeout=1, socket_connect_timeout=1)

    def replicated(self, timeout_ms: int = 2000) -> None:
        """Every write the master took so far has reached the replica."""
        with self.client(self.master_port()) as master:
            assert master.execute_command("WAIT", 1, timeout_ms) >= 1, "not replicated"

    def start(self) -> None:
        for process in (self.master, self.replica, *self.sentinels):
            process.start()
        self._wait_until_settled()

    def stop(self) -> None:
        for process in (*self.sentinels, self.replica, self.master):
            process.stop()

    def _wait_until_settled(self) -> None:
        """A failover needs the replica linked and each sentinel aware of the other two."""
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            with contextlib.suppress(Exception):
                if self._settled():
                    return
            assert time.monotonic() < deadline, "the sentinel group did not settle"
            time.sleep(0.1)

    def _settled(self) -> bool:
        with self.client(self.replica.port) as replica:
            if replica.info("replication")["master_link_status"] != "up":
                return False
        for process in self.sentinels:
            with self.client(process.port) as sentinel:
                if len(sentinel.sentinel_sentinels(SERVICE)) < len(self.sentinels) - 1:
                    return False
                if not sentinel.sentinel_slaves(SERVICE):
                    return False
        return True


@contextlib.contextmanager
def sentinel_group(directory: Path) -> Iterator[SentinelGroup]:
    group = SentinelGroup(directory)
    try:
        group.start()
        yield group
    finally:
        group.stop()
