"""`gunicorn` with no arguments, from the project root, serves the app in production mode."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from .support import TEST_SECRET_KEY, free_port

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def test_gunicorn_serves_the_app_with_its_own_config(database_url, redis_url, key_prefix) -> None:
    port = free_port()
    env = {
        **os.environ,
        "SECRET_KEY": TEST_SECRET_KEY,
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url,
        "SESSION_KEY_PREFIX": key_prefix,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        # Plain HTTP on loopback: a Secure cookie would never be sent back.
        "SESSION_COOKIE_SECURE": "false",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn)], cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                response = requests.get(f"{base}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "gunicorn did not start in 30 s"
                time.sleep(0.2)
        assert response.json() == {"status": "ok"}
        assert requests.get(f"{base}/readyz", timeout=5).status_code == 200
        session = requests.Session()
        assert session.post(f"{base}/api/session/login", json={"username": "a"}).status_code == 200
        assert session.get(f"{base}/api/session").json()["username"] == "a"
        cookie = session.cookies.get("session")
        assert cookie is not None
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=40)
    log = output.decode()
    assert server.returncode == 0, log
    assert "Traceback" not in log, log
    assert "request_id=" in log
