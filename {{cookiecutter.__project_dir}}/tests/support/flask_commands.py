"""Runs `flask ...` commands, each in a process of its own, forked from a server process that
has imported the service once.

A fresh `flask` costs a second or more of imports before it does anything; the migration
tests run dozens, eight at a time. Forked from a process that has imported them already,
each command is still its own process, with its own environment, app and database
connections, running the very code `flask` runs (flask.cli.main), at a fraction of the cost.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from multiprocessing.process import BaseProcess
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PRELOADED = (
    "flask.cli",
    "flask_migrate.cli",
    "alembic.command",
    "{{ cookiecutter.package_name }}",
)
TIMEOUT_SECONDS = 120


def _run_flask(arguments: Sequence[str], env: dict[str, str], output: str) -> None:
    """In the forked process: `flask ARGUMENTS` in this environment, output to a file."""
    os.environ.clear()
    os.environ.update(env)
    os.chdir(PROJECT_ROOT)
    with open(output, "wb") as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
    sys.argv = ["flask", *arguments]
    from flask.cli import main

    main()  # exits with the command's status, as `flask` would


def _context() -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(PRELOADED))
    return context


class FlaskCommand:
    """One `flask` command started in a forked process; `finish` waits for it."""

    def __init__(self, arguments: Sequence[str], env: dict[str, str]) -> None:
        self.arguments = list(arguments)
        handle, self.output = tempfile.mkstemp(prefix="flask-", suffix=".log")
        os.close(handle)
        self.process: BaseProcess = _context().Process(
            target=_run_flask, args=(self.arguments, env, self.output)
        )
        self.process.start()

    def finish(self, timeout: float = TIMEOUT_SECONDS) -> subprocess.CompletedProcess:
        self.process.join(timeout)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join()
        output = Path(self.output).read_text(encoding="utf-8", errors="replace")
        Path(self.output).unlink()
        return subprocess.CompletedProcess(
            ["flask", *self.arguments], self.process.exitcode, output, ""
        )


def run_flask(arguments: Sequence[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return FlaskCommand(arguments, env).finish()
