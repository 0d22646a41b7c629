"""Several instances of a baked service (gunicorn masters with the project's own config) and
the project's haproxy in front of them, as real processes on this machine."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from combinations import run
from local_services import REDIS_URL, temporary_postgres_database

SECRET_KEY = "a-secret-key-for-the-load-balancer-tests-0123456789"
START_SECONDS = 60
# haproxy.cfg checks every 500 ms and needs two good checks to put an instance back.
BALANCER_RISE_SECONDS = 1.5
# Debian installs haproxy in /usr/sbin, which is not on every user's PATH.
HAPROXY = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin") or "haproxy"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def wait_until(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while answers(url) != 200:
        assert process.poll() is None, log.read_text(errors="replace")
        assert time.monotonic() < deadline, f"{url} not ready:\n{log.read_text(errors='replace')}"
        time.sleep(0.1)


@dataclass
class Instance:
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class Deployment:
    """A baked project's environment: its database and settings, instances started on it."""

    def __init__(self, project: Path, database_url: str, logs: Path, **settings: str) -> None:
        self.project = project
        self.logs = logs
        self.env = {
            **{key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"},
            "SECRET_KEY": SECRET_KEY,
            "REDIS_URL": REDIS_URL,
            "DATABASE_URL": database_url,
            "SESSION_KEY_PREFIX": f"balanced-{os.getpid()}-{time.monotonic_ns()}:",
            "SESSION_COOKIE_SECURE": "false",
            "WEB_CONCURRENCY": "2",
            **settings,
        }
        self.started = 0

    def upgrade_schema(self) -> None:
        flask = str(self.project / ".venv" / "bin" / "flask")
        run([flask, "--app", "my_service", "db", "upgrade"], self.project, **self.env)

    def start(self, port: int | None = None) -> Instance:
        """An instance, ready; in a process group of its own, so that it can die whole."""
        port = port or free_port()
        self.started += 1
        log = self.logs / f"instance-{self.started}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [str(self.project / ".venv" / "bin" / "gunicorn")],
                cwd=self.project,
                env={**self.env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        instance = Instance(port, process, log)
        wait_until(f"{instance.url}/readyz", process, log)
        return instance

    def stop(self, instance: Instance, every_process: bool = False) -> int:
        """The documented stop: SIGTERM; the instance drains, then exits. Sent to the master
        alone (compose, Kubernetes) or to every process of the instance at once (systemd's
        default KillMode=control-group, `kill -TERM -<pgid>`)."""
        if every_process:
            os.killpg(instance.process.pid, signal.SIGTERM)
        else:
            instance.process.send_signal(signal.SIGTERM)
        return instance.process.wait(60)

    def kill(self, instance: Instance) -> None:
        """The machine is gone: the master and its workers, at once."""
        os.killpg(instance.process.pid, signal.SIGKILL)
        instance.process.wait(10)


@contextlib.contextmanager
def deployment(project: Path, logs: Path, **settings: str) -> Iterator[Deployment]:
    with temporary_postgres_database("balanced") as database_url:
        service = Deployment(project, database_url, logs, **settings)
        service.upgrade_schema()
        yield service


@contextlib.contextmanager
def balancer(
    project: Path,
    instances: list[Instance],
    logs: Path,
    config: Path | None = None,
    **settings: str,
) -> Iterator[str]:
    """The project's haproxy.cfg (or `config`) in front of the instances, with `settings` in
    its environment; yields its URL."""
    port = free_port()
    env = {
        **os.environ,
        "HAPROXY_BIND": f"127.0.0.1:{port}",
        **{f"APP{n}_ADDRESS": f"127.0.0.1:{i.port}" for n, i in enumerate(instances, 1)},
        **settings,
    }
    log = logs / f"haproxy-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [HAPROXY, "-db", "-f", str(config or project / "haproxy.cfg")],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(f"{url}/readyz", process, log)
        time.sleep(BALANCER_RISE_SECONDS)  # every instance's checks have passed by now
        yield url
    finally:
        process.terminate()
        process.wait(10)
