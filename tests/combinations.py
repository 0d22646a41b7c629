"""The answer sets the template supports, and what every test runs against."""

from __future__ import annotations

import itertools
import os
import subprocess
from pathlib import Path

WORKER_MODELS = ("gthread", "sync", "gevent")
DATABASES = ("sqlite", "postgresql")

# Every combination of the prompts is supported and baked.
ALL_COMBINATIONS = [
    {"worker_model": worker_model, "database": database, "async_sample": async_sample}
    for worker_model, database, async_sample in itertools.product(
        WORKER_MODELS, DATABASES, (True, False)
    )
]
# The generated suite runs for every worker model with both databases; the async sample
# alternates so that both of its values are covered too.
SUITE_COMBINATIONS = [  # the longest first (measured), so that none is left to run alone
    {"worker_model": "gevent", "database": "postgresql", "async_sample": True},
    {"worker_model": "gthread", "database": "sqlite", "async_sample": True},
    {"worker_model": "gthread", "database": "postgresql", "async_sample": False},
    {"worker_model": "sync", "database": "postgresql", "async_sample": True},
    {"worker_model": "gevent", "database": "sqlite", "async_sample": False},
    {"worker_model": "sync", "database": "sqlite", "async_sample": False},
]


def combination_id(answers: dict) -> str:
    return "-".join(str(value) for value in answers.values())


def run(command: list[str], cwd: Path, timeout: float = 600, **env: str) -> str:
    """Run a command in a baked project, in that project's own environment."""
    environment = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    environment.update(env)
    result = subprocess.run(
        command,
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(command)} failed in {cwd}:\n{output}"
    return output


def bake_ok(cookies, answers: dict) -> Path:
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    assert result.exception is None
    return result.project_path
