"""The machine and versions a run measured, for the line printed over its table."""

from __future__ import annotations

import contextlib
import os
import platform
from pathlib import Path

from .baking import BakedService
from .processes import run_checked


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
