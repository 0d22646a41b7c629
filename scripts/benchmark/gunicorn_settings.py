"""The settings gunicorn resolves, and the checks that the compared servers share them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .processes import BenchmarkError, run_checked

# Settings that decide how much a server can do at once: they must match between a service
# and an app served in its place, or a ratio compares two different servers.
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


def resolved_settings(command: Sequence[str], env: dict, cwd: Path) -> dict[str, str]:
    """The settings gunicorn resolves from a config, as `--print-config` shows them."""
    output = run_checked([*command, "--print-config"], cwd=cwd, env=env, timeout=60)
    resolved = {}
    for line in output.splitlines():
        name, separator, value = line.partition(" = ")
        if separator:
            resolved[name.strip()] = value.strip()
    return resolved


def check_service_settings(
    model: str, worker_class: str, service: dict[str, str], workers: int
) -> None:
    if service.get("worker_class") != worker_class or service.get("workers") != str(workers):
        raise BenchmarkError(
            f"{model}: gunicorn resolved worker_class={service.get('worker_class')},"
            f" workers={service.get('workers')}"
        )


def check_same_worker_settings(
    model: str, name: str, service: dict[str, str], variant: dict[str, str], wsgi_app: str
) -> None:
    """Fail unless the app served in the service's place (`name`) is the one meant and runs
    with the service's worker settings."""
    differing = [key for key in WORKER_SETTINGS if service.get(key) != variant.get(key)]
    if differing:
        details = ", ".join(f"{k}: {service.get(k)} vs {variant.get(k)}" for k in differing)
        raise BenchmarkError(f"{model}: the {name} app's settings differ ({details})")
    if variant.get("wsgi_app") != wsgi_app:
        raise BenchmarkError(f"{model}: the {name} config serves {variant.get('wsgi_app')}")


def describe_concurrency(model: str, resolved: dict[str, str]) -> str:
    """As gunicorn resolved it, e.g. "gthread: 2 workers x 4 threads, never recycled"."""
    per_worker = {
        "gthread": f" x {resolved.get('threads')} threads",
        "gevent": f" x {resolved.get('worker_connections')} connections",
    }.get(model, "")
    recycling = (
        f"recycled every {resolved.get('max_requests')}±{resolved.get('max_requests_jitter')}"
        " requests"
        if resolved.get("max_requests") != "0"
        else "never recycled"
    )
    return (
        f"{model} ({resolved.get('worker_class')}): {resolved.get('workers')} workers{per_worker},"
        f" {recycling}"
    )
