"""gunicorn.conf.py: sizing from usable CPUs and the environment, and what it tells the app.

The config is loaded in a subprocess, as gunicorn loads it: under gevent it patches the
standard library, which must not happen to the test process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import {{ cookiecutter.package_name }}.worker_models as worker_models
from {{ cookiecutter.package_name }}.machinery import baked

from ..support.live_server import PROJECT_CONFIG, PROJECT_ROOT

SETTINGS = ("worker_class", "workers", "threads", "worker_connections", "preload_app",
            "control_socket_disable", "timeout", "graceful_timeout", "max_requests")  # fmt: skip
# Models served by a worker class of the service's own instead of gunicorn's.
WORKER_CLASSES = {
    "gthread": f"{worker_models.__name__}.bounded_threads.BoundedThreadWorker",
    "sync": f"{worker_models.__name__}.bounded_sync.BoundedSyncWorker",
    "gevent": f"{worker_models.__name__}.bounded_gevent.BoundedGeventWorker",
}
ENV_HANDED_TO_APP = ("APP_ENV", "DB_POOL_SIZE", "REDIS_MAX_CONNECTIONS")
PROBE = """
import json, os, runpy, sys
from pathlib import Path
config = runpy.run_path(sys.argv[1])
answer = {name: config.get(name) for name in json.loads(sys.argv[2])}
answer["env"] = {name: os.environ.get(name) for name in json.loads(sys.argv[3])}
answer["control_socket"] = config.get("control_socket")
answer["quota_cpus"] = {
    path.name: config["usable_cpus"](path) for path in sorted(Path(sys.argv[4]).iterdir())
}
print(json.dumps(answer))
"""


def cgroup(root: Path, name: str, files: dict[str, str]) -> None:
    (root / name).mkdir(parents=True)
    for relative, text in files.items():
        path = root / name / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def load_config(tmp_path: Path, **env: str) -> dict:
    roots = tmp_path / "cgroups"
    cgroup(roots, "v2-one-and-a-half", {"cpu.max": "150000 100000\n"})
    cgroup(roots, "v2-unlimited", {"cpu.max": "max 100000\n"})
    cgroup(roots, "v1-one", {"cpu/cpu.cfs_quota_us": "50000", "cpu/cpu.cfs_period_us": "100000"})
    cgroup(roots, "v1-unlimited", {"cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_period_us": "1"})
    cgroup(roots, "none", {})
    names = [key for key in os.environ if key.startswith(("GUNICORN_", "WEB_CONC"))]
    environment = {key: value for key, value in os.environ.items() if key not in names}
    for name in ENV_HANDED_TO_APP:
        environment.pop(name, None)
    environment.update(env)
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(PROJECT_CONFIG), json.dumps(SETTINGS),
         json.dumps(ENV_HANDED_TO_APP), str(roots)],
        cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(result.stdout)


def test_the_worker_model_and_policies(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config["worker_class"] == WORKER_CLASSES[baked.WORKER_MODEL]
    assert config["preload_app"] is True
    assert config["control_socket_disable"] is True
    assert config["graceful_timeout"] > 0 and config["max_requests"] > 0
    assert config["env"]["APP_ENV"] == "production"


NUMBERS = ("WEB_CONCURRENCY", "GUNICORN_TIMEOUT", "GUNICORN_KEEPALIVE")
MODEL_NUMBERS = {
    "gthread": ("GUNICORN_THREADS", "GUNICORN_BUSY_PAUSE_MS", "GUNICORN_QUEUE_BUDGET_MS"),
    "sync": ("GUNICORN_QUEUE_BUDGET_MS",),
}


@pytest.mark.parametrize("name", NUMBERS + MODEL_NUMBERS.get(baked.WORKER_MODEL, ()))
def test_a_number_that_is_not_one_stops_the_start_naming_it(tmp_path: Path, name: str) -> None:
    with pytest.raises(subprocess.CalledProcessError) as refused:
        load_config(tmp_path, **{name: "soon"})
    assert refused.value.stderr.strip().splitlines()[-1] == (
        f"{name} must be a whole number, not 'soon'"
    )


def test_workers_follow_web_concurrency(tmp_path: Path) -> None:
    assert load_config(tmp_path, WEB_CONCURRENCY="7")["workers"] == 7


def test_default_workers_follow_usable_cpus(tmp_path: Path) -> None:
    cpus = len(os.sched_getaffinity(0))
    expected = 2 * cpus + 1 if baked.WORKER_MODEL == "sync" else max(2, cpus)
    assert load_config(tmp_path)["workers"] == expected


def test_a_container_cpu_quota_caps_the_count(tmp_path: Path) -> None:
    cpus = len(os.sched_getaffinity(0))
    quota = load_config(tmp_path)["quota_cpus"]
    assert quota == {
        "v2-one-and-a-half": min(cpus, 2),
        "v2-unlimited": cpus,
        "v1-one": 1,
        "v1-unlimited": cpus,
        "none": cpus,
    }


def test_the_database_pool_covers_one_workers_concurrency(tmp_path: Path) -> None:
    config = load_config(tmp_path, GUNICORN_THREADS="6")
    pool = int(config["env"]["DB_POOL_SIZE"])
    expected = {"sync": (1, 1), "gthread": (6, 6), "gevent": (1, 10)}[baked.WORKER_MODEL]
    assert config["threads"] == expected[0]
    assert pool == expected[1]


@pytest.mark.parametrize("explicit", ["3", "25"])
def test_an_explicit_pool_size_wins(tmp_path: Path, explicit: str) -> None:
    assert load_config(tmp_path, DB_POOL_SIZE=explicit)["env"]["DB_POOL_SIZE"] == explicit


def test_a_control_socket_only_at_a_path_of_this_services_own(tmp_path: Path) -> None:
    path = str(tmp_path / "svc.ctl")
    config = load_config(tmp_path, GUNICORN_CONTROL_SOCKET=path)
    assert config["control_socket_disable"] is False
    assert config["control_socket"] == path
