"""Load-tests a baked service under each worker model, against a bare-Flask ceiling.

One run bakes a service per worker model (sync, gthread, gevent; PostgreSQL and the async
sample), serves each with its own gunicorn.conf.py, loads it with wrk from a second process,
and prints one table: requests/s, p50 and p99 latency, the ratio to a bare Flask app served
with the very same gunicorn settings, non-2xx responses, and the peak memory of a worker.

    uv run python scripts/benchmark.py [--duration 10] [--warmup 2] [--connections 16]

Rows: per worker model, the bare ceiling, then the service's scenarios (wrk scripts in
scripts/bench/): healthz; mix, one logged-in user per connection reading its session, adding
an item and incrementing a counter; fanout, an async view awaiting 10 sleeps of 50 ms.
"sock err" counts wrk's socket errors and timeouts; "worker peak MiB" is the largest VmHWM
of the master's children while the row ran; "worker pids" is how many distinct workers
served it (more than --workers means gunicorn recycled some, see max_requests).

Needs wrk (`apt-get install -y wrk`), psql, Redis on 127.0.0.1:6379 and PostgreSQL on
127.0.0.1:5432 (user postgres, trust authentication), as the template's tests do. Each run
uses its own database and session key prefix, and removes both when it ends.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
LUA_DIR = Path(__file__).resolve().parent / "bench"
WORKER_MODELS = ("sync", "gthread", "gevent")
HOST = "127.0.0.1"
REDIS_URL = f"redis://{HOST}:6379/0"
POSTGRES_ADMIN_URL = f"postgresql://postgres@{HOST}:5432/postgres"
POSTGRES_APP_URL = f"postgresql+psycopg://postgres@{HOST}:5432/{{database}}"
BARE_MODULE = "bench_bare_app"
# Settings that decide how much a server can do at once: they must match between a service
# and its bare ceiling, or the ratio compares two different servers.
WORKER_SETTINGS = (
    "worker_class",
    "workers",
    "threads",
    "worker_connections",
    "keepalive",
    "max_requests",
    "max_requests_jitter",
    "preload_app",
    "backlog",
)
SERVER_START_SECONDS = 60
SERVER_STOP_SECONDS = 45
# wrk drops a response slower than this from its latency figures; keep it far above p99.
WRK_REQUEST_TIMEOUT = "10s"
MEMORY_SAMPLE_SECONDS = 0.2
# wrk's event loops need few threads, and the servers share the same cores; only the mix,
# whose per-user state lives in a thread, takes one thread per connection.
WRK_THREADS = 2


class BenchmarkError(RuntimeError):
    """A step of the benchmark failed; the message says which and why."""


@dataclass(frozen=True)
class Scenario:
    name: str
    script: str
    # The mix plays one user per connection; its session state lives in a wrk thread.
    thread_per_connection: bool = False


CEILING = Scenario("bare flask", "healthz.lua")
SERVICE_SCENARIOS = (
    Scenario("healthz", "healthz.lua"),
    Scenario("mix", "mix.lua", thread_per_connection=True),
    Scenario("fanout", "fanout.lua"),
)


@dataclass(frozen=True)
class BakedService:
    model: str
    project: Path
    package: str

    def executable(self, name: str) -> Path:
        return self.project / ".venv" / "bin" / name

    @property
    def gunicorn_config(self) -> Path:
        return self.project / "gunicorn.conf.py"


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    statuses: dict[str, int]

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Row:
    model: str
    scenario: str
    result: LoadResult
    worker_peak_kib: int
    worker_pids_seen: int


@dataclass(frozen=True)
class Settings:
    duration: int
    warmup: int
    connections: int
    workers: int
    models: tuple[str, ...]
    max_requests: int | None  # None: what each gunicorn.conf.py says


@dataclass(frozen=True)
class Run:
    """What every server of one run shares: its database, session prefix and scratch dir."""

    workdir: Path
    database_url: str
    session_prefix: str = field(default_factory=lambda: f"bench-{secrets.token_hex(4)}:")
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(48))

    @property
    def bare_dir(self) -> Path:
        return self.workdir / "bare"


@dataclass(frozen=True)
class ModelReport:
    rows: list[Row]
    concurrency: str  # as gunicorn resolved it, e.g. "2 workers x 4 threads"


# --- Tools and machine ------------------------------------------------------------------


def require_tools() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: run `apt-get install -y wrk` (Debian package wrk)")
    for tool in ("uv", "psql"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not on PATH; the benchmark needs it")


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def wrk_version() -> str:
    # wrk has no version flag of its own: it prints the version over its usage, exit 1.
    first_line = run_checked(["wrk", "--version"], accepted_exit_codes=(1,)).splitlines()[0]
    return first_line.split(" Copyright")[0].strip()


def python_says(service: BakedService, expression: str) -> str:
    command = [
        str(service.executable("python")),
        "-c",
        f"import gunicorn, platform; print({expression})",
    ]
    return run_checked(command).strip()


def machine_line(service: BakedService) -> str:
    return (
        f"machine: {cpu_model()}, {os.cpu_count()} cores"
        f" ({len(os.sched_getaffinity(0))} usable), Linux {platform.release()};"
        f" Python {python_says(service, 'platform.python_version()')},"
        f" gunicorn {python_says(service, 'gunicorn.__version__')}, {wrk_version()}"
    )


def environment(**extra: str) -> dict[str, str]:
    """Our environment for a child, minus the venv `uv run` activated for this script."""
    env = {name: value for name, value in os.environ.items() if name != "VIRTUAL_ENV"}
    env.update(extra)
    return env


def run_checked(
    command: Sequence[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    accepted_exit_codes: tuple[int, ...] = (0,),
) -> str:
    """Run a command to completion and return its stdout; a failure names the command."""
    try:
        done = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise BenchmarkError(f"{command[0]} did not finish within {timeout} s") from None
    if done.returncode not in accepted_exit_codes:
        raise BenchmarkError(
            f"`{' '.join(command)}` exited with {done.returncode}:\n{done.stderr or done.stdout}"
        )
    return done.stdout


# --- Baking -------------------------------------------------------------------------------


def bake_service(model: str, output_dir: Path) -> BakedService:
    project = Path(
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            output_dir=str(output_dir),
            extra_context={
                "project_name": f"Bench {model.title()}",
                "worker_model": model,
                "database": "postgresql",
                "async_sample": True,
            },
        )
    )
    packages = [path.name for path in (project / "src").iterdir() if path.is_dir()]
    if len(packages) != 1:
        raise BenchmarkError(f"expected one package under {project / 'src'}, found {packages}")
    return BakedService(model=model, project=project, package=packages[0])


def install_environment(service: BakedService) -> None:
    # The project's own lock: the benchmark measures what a new service would run.
    run_checked(
        ["uv", "sync", "--locked", "--quiet"], cwd=service.project, env=environment(), timeout=600
    )


BARE_APP_SOURCE = '''"""The ceiling: Flask alone, answering the route of the healthz scenario."""

from flask import Flask

app = Flask(__name__)


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
'''

# Loads the service's own config (the gevent patch included) and changes only what has to
# change: the app, and the post_fork hook, which disposes database pools the bare app lacks.
BARE_CONFIG_TEMPLATE = '''"""The gunicorn settings of {project}, serving the bare-Flask ceiling."""

import runpy

globals().update(
    (name, value)
    for name, value in runpy.run_path({config!r}).items()
    if not name.startswith("__")
)
wsgi_app = "{module}:app"


def post_fork(server, worker):
    pass
'''


def write_bare_app(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{BARE_MODULE}.py").write_text(BARE_APP_SOURCE, encoding="utf-8")


def write_bare_config(service: BakedService, directory: Path) -> Path:
    path = directory / f"gunicorn_bare_{service.model}.conf.py"
    path.write_text(
        BARE_CONFIG_TEMPLATE.format(
            project=service.project.name, config=str(service.gunicorn_config), module=BARE_MODULE
        ),
        encoding="utf-8",
    )
    return path


# --- Database and sessions ----------------------------------------------------------------


def psql(sql: str) -> None:
    run_checked(["psql", POSTGRES_ADMIN_URL, "-v", "ON_ERROR_STOP=1", "-qc", sql], timeout=60)


@contextlib.contextmanager
def temporary_database() -> Iterator[str]:
    """A fresh database for this run, dropped afterwards whatever happened."""
    name = f"bench_{os.getpid()}_{secrets.token_hex(4)}"
    psql(f"CREATE DATABASE {name}")
    try:
        yield POSTGRES_APP_URL.format(database=name)
    finally:
        # FORCE: a server killed mid-request may leave a connection behind.
        psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


REDIS_CLEANUP_SOURCE = """
import itertools, sys, redis
client = redis.Redis.from_url(sys.argv[1])
keys = list(itertools.islice(client.scan_iter(match=sys.argv[2] + "*", count=1000), 1_000_000))
for start in range(0, len(keys), 1000):
    client.delete(*keys[start:start + 1000])
print(len(keys))
"""


def delete_sessions(service: BakedService, prefix: str) -> None:
    """Remove this run's sessions; a failure here is reported, not raised over another."""
    # Through the service's own redis client: this script's environment has none.
    command = [str(service.executable("python")), "-c", REDIS_CLEANUP_SOURCE, REDIS_URL, prefix]
    try:
        run_checked(command, env=environment())
    except BenchmarkError as error:
        print(f"warning: sessions under {prefix!r} were not deleted: {error}", file=sys.stderr)


def upgrade_schema(service: BakedService, env: dict[str, str]) -> None:
    """The production schema step, through the service's own migrations."""
    run_checked(
        [str(service.executable("flask")), "--app", service.package, "db", "upgrade"],
        cwd=service.project,
        env=env,
    )


# --- gunicorn -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def server_environment(
    run: Run, settings: Settings, port: int | None = None, bare: bool = False
) -> dict[str, str]:
    env = environment(
        WEB_CONCURRENCY=str(settings.workers),
        APP_ENV="production",
        SECRET_KEY=run.secret_key,
        REDIS_URL=REDIS_URL,
        DATABASE_URL=run.database_url,
        SESSION_COOKIE_SECURE="false",
        SESSION_KEY_PREFIX=run.session_prefix,
    )
    if port is not None:
        env["GUNICORN_BIND"] = f"{HOST}:{port}"
    if settings.max_requests is not None:
        env["GUNICORN_MAX_REQUESTS"] = str(settings.max_requests)
    if bare:
        env["PYTHONPATH"] = str(run.bare_dir)  # where the bare app's module is
    return env


def gunicorn_settings(command: Sequence[str], env: dict, cwd: Path) -> dict[str, str]:
    """The settings gunicorn resolves from a config, as `--print-config` shows them."""
    output = run_checked([*command, "--print-config"], cwd=cwd, env=env, timeout=60)
    resolved = {}
    for line in output.splitlines():
        name, separator, value = line.partition(" = ")
        if separator:
            resolved[name.strip()] = value.strip()
    return resolved


def check_same_worker_settings(model: str, service: dict, bare: dict, workers: int) -> None:
    differing = [name for name in WORKER_SETTINGS if service.get(name) != bare.get(name)]
    if differing:
        details = ", ".join(f"{n}: {service.get(n)} vs {bare.get(n)}" for n in differing)
        raise BenchmarkError(f"{model}: the bare ceiling's settings differ ({details})")
    if service.get("worker_class") != model or service.get("workers") != str(workers):
        raise BenchmarkError(
            f"{model}: gunicorn resolved worker_class={service.get('worker_class')},"
            f" workers={service.get('workers')}"
        )
    if bare.get("wsgi_app") != f"{BARE_MODULE}:app":
        raise BenchmarkError(f"{model}: the bare config serves {bare.get('wsgi_app')}")


def worker_pids(master: int) -> list[int]:
    """Children of the gunicorn master, found through /proc (no psutil here)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited meanwhile
        # The command name is in parentheses and may hold spaces: split after it.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == master:
            pids.append(int(entry.name))
    return pids


def peak_memory_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def boot_lines_ok(log: Path, model: str, workers: int) -> bool:
    text = log.read_text(errors="replace")
    return f"Using worker: {model}" in text and text.count("Booting worker with pid") >= workers


def answers_healthz(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=2) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def log_tail(log: Path, lines: int = 25) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    return "(no log)"


def stop_server(process: subprocess.Popen) -> None:
    """SIGTERM (gunicorn's graceful stop), then SIGKILL for the master and its workers."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=SERVER_STOP_SECONDS)
        return
    except subprocess.TimeoutExpired:
        pass
    for pid in [*worker_pids(process.pid), process.pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait(timeout=SERVER_STOP_SECONDS)


@contextlib.contextmanager
def running_server(
    command: Sequence[str], env: dict, cwd: Path, log: Path, port: int, model: str, workers: int
) -> Iterator[subprocess.Popen]:
    """A gunicorn serving on `port`, its workers booted as configured; stopped on exit."""
    with log.open("w") as log_file:
        # Its own session: a Ctrl-C meant for this script must not hit gunicorn before the
        # cleanup below runs.
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not (answers_healthz(port) and boot_lines_ok(log, model, workers)):
            if process.poll() is not None:
                raise BenchmarkError(f"gunicorn exited with {process.returncode}:\n{log_tail(log)}")
            if time.monotonic() > deadline:
                raise BenchmarkError(f"gunicorn not serving after {SERVER_START_SECONDS} s")
            time.sleep(0.2)
        yield process
    finally:
        stop_server(process)


class WorkerMemorySampler:
    """Samples the peak RSS (VmHWM) of every worker of a master while the block runs.

    Workers are recycled (max_requests), so one look at the end would miss the ones gone.
    """

    def __init__(self, master: int, limit_seconds: float) -> None:
        self.master = master
        self.limit_seconds = limit_seconds
        self.peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> WorkerMemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _sample(self) -> None:
        deadline = time.monotonic() + self.limit_seconds
        while time.monotonic() < deadline:
            for pid in worker_pids(self.master):
                peak = peak_memory_kib(pid)
                if peak is not None:
                    self.peaks[pid] = max(peak, self.peaks.get(pid, 0))
            if self._stop.wait(MEMORY_SAMPLE_SECONDS):
                break


# --- Load ---------------------------------------------------------------------------------


def run_wrk(scenario: Scenario, port: int, seconds: int, connections: int) -> LoadResult:
    threads = connections if scenario.thread_per_connection else min(connections, WRK_THREADS)
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        WRK_REQUEST_TIMEOUT,
        "-s",
        str(LUA_DIR / scenario.script),
        f"http://{HOST}:{port}",
    ]
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
            )
    raise BenchmarkError(f"wrk printed no BENCH_RESULT line:\n{output}")


def measure(
    scenario: Scenario, model: str, server: subprocess.Popen, port: int, settings: Settings
) -> Row:
    # The warm-up opens pooled connections and runs first-request imports, a start-up cost
    # that is not what is measured; its numbers are dropped, the memory it costs is not.
    limit = settings.warmup + settings.duration + 60
    with WorkerMemorySampler(server.pid, limit) as memory:
        if settings.warmup:
            run_wrk(scenario, port, settings.warmup, settings.connections)
        result = run_wrk(scenario, port, settings.duration, settings.connections)
    row = Row(
        model=model,
        scenario=scenario.name,
        result=result,
        worker_peak_kib=max(memory.peaks.values(), default=0),
        worker_pids_seen=len(memory.peaks),
    )
    print(f"  {model:8} {scenario.name:11} {result.requests_per_second:9.1f} req/s", flush=True)
    return row


def concurrency(resolved: dict[str, str]) -> str:
    per_worker = {
        "gthread": f" x {resolved.get('threads')} threads",
        "gevent": f" x {resolved.get('worker_connections')} connections",
    }.get(resolved.get("worker_class", ""), "")
    recycling = (
        f"recycled every {resolved.get('max_requests')}±{resolved.get('max_requests_jitter')}"
        " requests"
        if resolved.get("max_requests") != "0"
        else "never recycled"
    )
    return (
        f"{resolved.get('worker_class')}: {resolved.get('workers')} workers{per_worker},"
        f" {recycling}"
    )


def verified_settings(
    service: BakedService,
    service_command: Sequence[str],
    bare_command: Sequence[str],
    run: Run,
    settings: Settings,
) -> dict[str, str]:
    """The service's resolved gunicorn settings, once checked to match its bare ceiling's."""
    resolved = gunicorn_settings(
        service_command, server_environment(run, settings), service.project
    )
    bare = gunicorn_settings(
        bare_command, server_environment(run, settings, bare=True), service.project
    )
    check_same_worker_settings(service.model, resolved, bare, settings.workers)
    return resolved


@contextlib.contextmanager
def serving(
    service: BakedService, command: Sequence[str], run: Run, settings: Settings, bare: bool
) -> Iterator[tuple[subprocess.Popen, int]]:
    port = free_port()
    env = server_environment(run, settings, port, bare=bare)
    log = run.workdir / f"{service.model}-{'bare' if bare else 'service'}.log"
    with running_server(
        command, env, service.project, log, port, service.model, settings.workers
    ) as server:
        yield server, port


def benchmark_model(service: BakedService, run: Run, settings: Settings) -> ModelReport:
    gunicorn = str(service.executable("gunicorn"))
    service_command = [gunicorn, "-c", str(service.gunicorn_config)]
    bare_command = [gunicorn, "-c", str(write_bare_config(service, run.bare_dir))]
    resolved = verified_settings(service, service_command, bare_command, run, settings)
    upgrade_schema(service, server_environment(run, settings))

    rows = []
    with serving(service, bare_command, run, settings, bare=True) as (server, port):
        rows.append(measure(CEILING, service.model, server, port, settings))
    with serving(service, service_command, run, settings, bare=False) as (server, port):
        for scenario in SERVICE_SCENARIOS:
            rows.append(measure(scenario, service.model, server, port, settings))
    return ModelReport(rows, concurrency(resolved))


# --- Report -------------------------------------------------------------------------------

COLUMNS = (
    ("worker", "<8"),
    ("scenario", "<10"),
    ("req/s", ">9"),
    ("p50 ms", ">8"),
    ("p99 ms", ">8"),
    ("vs bare", ">7"),
    ("non-2xx", ">7"),
    ("sock err", ">8"),
    ("worker peak MiB", ">15"),
    ("worker pids", ">11"),
)


def table_cells(row: Row, ceiling: float) -> tuple[str, ...]:
    result = row.result
    ratio = result.requests_per_second / ceiling if ceiling else float("nan")
    return (
        row.model,
        row.scenario,
        f"{result.requests_per_second:.1f}",
        f"{result.p50_ms:.2f}",
        f"{result.p99_ms:.2f}",
        f"{ratio:.2f}",
        str(result.non_2xx),
        str(result.socket_errors),
        f"{row.worker_peak_kib / 1024:.1f}",
        str(row.worker_pids_seen),
    )


def format_table(rows: Sequence[Row]) -> str:
    ceilings = {
        row.model: row.result.requests_per_second for row in rows if row.scenario == CEILING.name
    }
    lines = [
        "  ".join(f"{title:{align}}" for title, align in COLUMNS),
        "  ".join("-" * int(align[1:]) for _, align in COLUMNS),
    ]
    previous_model = None
    for row in rows:
        if previous_model is not None and row.model != previous_model:
            lines.append("")
        previous_model = row.model
        cells = table_cells(row, ceilings.get(row.model, 0.0))
        lines.append(
            "  ".join(f"{cell:{align}}" for cell, (_, align) in zip(cells, COLUMNS, strict=True))
        )
    return "\n".join(lines)


def unexpected_statuses(rows: Sequence[Row]) -> list[str]:
    notes = []
    for row in rows:
        odd = {s: n for s, n in row.result.statuses.items() if not 200 <= int(s) <= 299}
        if odd:
            notes.append(f"{row.model} {row.scenario}: non-2xx statuses {odd}")
    return notes


# --- Main ---------------------------------------------------------------------------------


def parse_settings(argv: Sequence[str] | None) -> Settings:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per row")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured seconds before each")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--workers", type=int, default=2, help="WEB_CONCURRENCY for all")
    parser.add_argument(
        "--models", default=",".join(WORKER_MODELS), help="comma-separated worker models"
    )
    parser.add_argument(
        "--max-requests",
        type=int,
        help="GUNICORN_MAX_REQUESTS for all (0: never recycle); default: each config's own",
    )
    args = parser.parse_args(argv)
    models = tuple(model.strip() for model in args.models.split(",") if model.strip())
    if not models or set(models) - set(WORKER_MODELS):
        parser.error(f"--models takes some of {', '.join(WORKER_MODELS)}")
    # Bounds keep one run short and its loops finite.
    for name, value, low, high in (
        ("--duration", args.duration, 1, 600),
        ("--warmup", args.warmup, 0, 60),
        ("--connections", args.connections, 1, 1000),
        ("--workers", args.workers, 1, 64),
    ):
        if not low <= value <= high:
            parser.error(f"{name} must be between {low} and {high}")
    if args.max_requests is not None and args.max_requests < 0:
        parser.error("--max-requests must be 0 or more")
    return Settings(
        args.duration, args.warmup, args.connections, args.workers, models, args.max_requests
    )


def settings_lines(settings: Settings, concurrencies: Sequence[str]) -> list[str]:
    return [
        *(f"server {line}" for line in concurrencies),
        "  (each bare ceiling: the same gunicorn settings, checked with --print-config)",
        f"wrk: {settings.connections} connections, {settings.duration} s measured after"
        f" {settings.warmup} s warm-up; mix: one wrk thread per connection, others:"
        f" {min(settings.connections, WRK_THREADS)} wrk threads;"
        " sock err = socket errors + timeouts",
    ]


def bake_all(models: Sequence[str], output_dir: Path) -> list[BakedService]:
    services = []
    for model in models:
        print(f"baking and syncing the {model} service ...", flush=True)
        service = bake_service(model, output_dir)
        install_environment(service)
        services.append(service)
    return services


def benchmark_all(
    services: Sequence[BakedService], run: Run, settings: Settings
) -> tuple[list[ModelReport], list[str]]:
    """Each model in turn; one that fails is reported and the others still run."""
    reports, failures = [], []
    try:
        for service in services:
            try:
                reports.append(benchmark_model(service, run, settings))
            except BenchmarkError as error:
                failures.append(f"{service.model}: {error}")
                print(f"{service.model} failed: {error}", file=sys.stderr, flush=True)
    finally:
        delete_sessions(services[0], run.session_prefix)
    return reports, failures


def run_benchmark(settings: Settings) -> int:
    started = time.monotonic()
    # Other work on the machine skews every number; the load average shows how much.
    load_at_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="flask-bench-") as scratch:
        workdir = Path(scratch)
        services = bake_all(settings.models, workdir / "baked")
        header = machine_line(services[0])
        with temporary_database() as database_url:
            run = Run(workdir, database_url)
            write_bare_app(run.bare_dir)
            reports, failures = benchmark_all(services, run, settings)

    rows = [row for report in reports for row in report.rows]
    print()
    print(header)
    print(f"load average (1 min) at start: {load_at_start:.2f}, at end: {os.getloadavg()[0]:.2f}")
    print("\n".join(settings_lines(settings, [report.concurrency for report in reports])))
    print()
    print(format_table(rows))
    for note in unexpected_statuses(rows):
        print(note)
    print(f"\nwall time: {time.monotonic() - started:.0f} s")
    if failures:
        print("\nfailed:\n" + "\n".join(failures), file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_settings(argv)
    require_tools()
    # The servers run in sessions of their own and would outlive a plain SIGTERM of this
    # script; as an exception it unwinds through the cleanup like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    try:
        return run_benchmark(settings)
    except BenchmarkError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
