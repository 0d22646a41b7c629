"""The image, as far as this machine can go without a Docker engine: what its build runs is
run (tests/image_build.py), then compose's one-off migration and the image's CMD, with the
environment compose gives the app. The service answers through its real dependencies, the
image's HEALTHCHECK says healthy, SIGTERM stops it cleanly, and nothing is written into /app,
which may therefore be read-only."""

from __future__ import annotations

import contextlib
import json
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from accounts import account
from combinations import bake_ok, combination_id
from image_build import Image, emulate_build
from local_services import REDIS_URL, temporary_postgres_database

COMBINATIONS = [
    {"worker_model": "gthread", "database": "postgresql", "async_sample": True},
    {"worker_model": "sync", "database": "sqlite", "async_sample": False},
    {"worker_model": "gevent", "database": "sqlite", "async_sample": True},
]
INTERPOLATION = re.compile(r"\$\{(\w+)(?::([?-])([^}]*))?\}")


def dotenv(project: Path) -> dict[str, str]:
    lines = (project / ".env").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's ${NAME:?message} and ${NAME:-default}, from the project's .env."""

    def replace(match: re.Match) -> str:
        name, kind, text = match.groups()
        if variables.get(name):
            return variables[name]
        assert kind == "-", f"compose would refuse to start: {name}: {text}"
        return text

    return INTERPOLATION.sub(replace, value)


@contextlib.contextmanager
def local_database(image: Image, compose_url: str) -> Iterator[str]:
    """compose's database as this machine has it: the SQLite file at its path in the image's
    /data, or a PostgreSQL database of the test's own."""
    if compose_url.startswith("sqlite:///"):
        yield "sqlite:///" + image.inside(compose_url.removeprefix("sqlite:///"))
        return
    with temporary_postgres_database("image") as url:
        yield url


def files_under(directory: Path) -> dict[str, float]:
    return {str(path): path.stat().st_mtime for path in directory.rglob("*")}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(url: str, body: bytes | None = None, cookie: str = "") -> tuple[int, str, str]:
    """Status, body and the session cookie set ("session=..."), if any. The service sets its
    freshness marker (session_fresh) beside it."""
    headers = {"Content-Type": "application/json", "Cookie": cookie}
    with urllib.request.urlopen(urllib.request.Request(url, body, headers), timeout=10) as answer:
        cookies = answer.headers.get_all("Set-Cookie") or []
        session = next((c for c in cookies if c.startswith("session=")), "")
        return answer.status, answer.read().decode(), session


def wait_until_healthy(image: Image, env: dict, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while subprocess.run(image.command("HEALTHCHECK"), cwd=image.workdir, env=env,
                         capture_output=True).returncode != 0:  # fmt: skip
        assert server.poll() is None, "gunicorn exited"
        assert time.monotonic() < deadline, "the image's HEALTHCHECK never passed"
        time.sleep(0.2)


@pytest.mark.parametrize("answers", COMBINATIONS, ids=combination_id)
def test_the_image_builds_migrates_serves_and_stops(cookies, answers: dict) -> None:
    project = bake_ok(cookies, answers)
    # Not under pytest's private temporary folder: the image's paths should be world-readable.
    with tempfile.TemporaryDirectory(prefix="image-") as root:
        image = emulate_build(project, Path(root))
        compose = yaml.safe_load((project / "compose.yaml").read_text(encoding="utf-8"))
        app = next(
            service for name, service in compose["services"].items() if name.startswith("app")
        )
        settings = {name: interpolate(str(value), dotenv(project))
                    for name, value in app["environment"].items()}  # fmt: skip
        assert settings["REDIS_URL"].startswith("redis://redis:6379/")
        with local_database(image, settings["DATABASE_URL"]) as database_url:
            env = {
                **image.env,
                **settings,
                "REDIS_URL": REDIS_URL,
                "DATABASE_URL": database_url,
                "SESSION_KEY_PREFIX": f"image-{uuid.uuid4().hex}:",
                "PORT": str(free_port()),  # the image's 8000, published by compose
            }
            before = files_under(image.workdir)
            migrate = compose["services"]["migrate"]["command"]
            done = subprocess.run(
                migrate, cwd=image.workdir, env=env, capture_output=True, text=True
            )
            assert done.returncode == 0, done.stdout + done.stderr
            serve_and_stop(image, env)
            assert files_under(image.workdir) == before


def serve_and_stop(image: Image, env: dict) -> None:
    base = f"http://127.0.0.1:{env['PORT']}"
    server = subprocess.Popen(image.command("CMD"), cwd=image.workdir, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        wait_until_healthy(image, env, server)
        status, body, _ = request(f"{base}/readyz")
        assert status == 200 and '"database":"ok"' in body and '"redis":"ok"' in body, body
        status, body, _ = request(f"{base}/api/counters/image", body=b"")
        assert (status, body.strip()) == (200, '{"name":"image","value":1}')
        ada = json.dumps(account("ada")).encode()
        assert request(f"{base}/api/accounts", body=ada)[0] == 201
        _, _, cookie = request(f"{base}/api/session/login", body=ada)
        status, body, _ = request(f"{base}/api/session", cookie=cookie.split(";")[0])
        assert status == 200 and '"username":"ada"' in body, body
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=60)[0].decode()
    assert server.returncode == 0, output
    assert "Traceback" not in output, output
    assert subprocess.run(image.command("HEALTHCHECK"), cwd=image.workdir, env=env,
                          capture_output=True).returncode != 0  # fmt: skip
