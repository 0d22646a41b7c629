"""Running child processes so that a failure stops the run with a message saying which."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path


class BenchmarkError(RuntimeError):
    """A step of the benchmark failed; the message says which and why."""


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
