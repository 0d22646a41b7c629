"""The load: wrk scenarios, each a Lua script in lua/, and the summary line they print."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .local_services import HOST
from .processes import BenchmarkError, run_checked

LUA_DIR = Path(__file__).resolve().parent / "lua"
# wrk drops a response slower than this from its latency figures; keep it far above p99.
WRK_REQUEST_TIMEOUT = "10s"
# wrk's event loops need few threads, and the servers share the same cores; only the mix,
# whose per-user state lives in a thread, takes one thread per connection.
WRK_THREADS = 2


@dataclass(frozen=True)
class Scenario:
    name: str
    script: str
    # The mix plays one user per connection; its session state lives in a wrk thread.
    thread_per_connection: bool = False


BARE_FLASK = Scenario("bare flask", "healthz.lua")
NAIVE_MIX = Scenario("naive mix", "mix.lua", thread_per_connection=True)
HEALTHZ = Scenario("healthz", "healthz.lua")
MIX = Scenario("mix", "mix.lua", thread_per_connection=True)
BASELINE_MIX = Scenario("base mix", "mix.lua", thread_per_connection=True)
FANOUT = Scenario("fanout", "fanout.lua")
# Logins with the right password, one user per connection (mix_users.py).
LOGIN = Scenario("login", "login.lua", thread_per_connection=True)
# The top counters over a seeded table (local_services.seed_counters), cached and not.
TOP_CACHED = Scenario("top cached", "top.lua")
TOP_UNCACHED = Scenario("top uncached", "top.lua")


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    statuses: dict[str, int]
    # Answers the scenario's own check found wrong, e.g. a mix user's read without its user.
    wrong_answers: int

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def served_per_second(self) -> float:
        """Answers 2xx a second: past capacity a service refuses some (503), at once."""
        return (self.requests - self.non_2xx) / self.seconds if self.seconds else 0.0


def wrk_threads(scenario: Scenario, connections: int) -> int:
    return connections if scenario.thread_per_connection else min(connections, WRK_THREADS)


def run_wrk(
    scenario: Scenario,
    port: int,
    seconds: int,
    connections: int,
    script_arguments: tuple[str, ...] = (),
) -> LoadResult:
    command = [
        "wrk",
        f"-t{wrk_threads(scenario, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        WRK_REQUEST_TIMEOUT,
        "-s",
        str(LUA_DIR / scenario.script),
        f"http://{HOST}:{port}",
    ]
    if script_arguments:
        command += ["--", *script_arguments]
    output = run_checked(command, timeout=seconds + 60)
    for line in output.splitlines():
        if line.startswith("BENCH_RESULT "):
            summary = json.loads(line.removeprefix("BENCH_RESULT "))
            return LoadResult(
                requests=summary["requests"],
                seconds=summary["duration_us"] / 1e6,
                p50_ms=summary["p50_us"] / 1000,
                p99_ms=summary["p99_us"] / 1000,
                non_2xx=summary["non_2xx"],
                socket_errors=summary["socket_errors"] + summary["timeouts"],
                statuses=summary["statuses"],
                wrong_answers=summary["wrong_answers"],
            )
    raise BenchmarkError(f"wrk printed no BENCH_RESULT line:\n{output}")
