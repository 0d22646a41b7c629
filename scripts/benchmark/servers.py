"""Starting a gunicorn until it serves with every worker booted, and stopping it for sure."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

from .local_services import HOST
from .processes import BenchmarkError

SERVER_START_SECONDS = 60
SERVER_STOP_SECONDS = 45


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


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


def boot_lines_ok(log: Path, worker_class: str, workers: int) -> bool:
    text = log.read_text(errors="replace")
    return (
        f"Using worker: {worker_class}" in text and text.count("Booting worker with pid") >= workers
    )


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
    command: Sequence[str],
    env: dict,
    cwd: Path,
    log: Path,
    port: int,
    worker_class: str,
    workers: int,
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
        while not (answers_healthz(port) and boot_lines_ok(log, worker_class, workers)):
            if process.poll() is not None:
                raise BenchmarkError(f"gunicorn exited with {process.returncode}:\n{log_tail(log)}")
            if time.monotonic() > deadline:
                raise BenchmarkError(f"gunicorn not serving after {SERVER_START_SECONDS} s")
            time.sleep(0.2)
        yield process
    finally:
        stop_server(process)
