"""Sessions over TLS to Redis (rediss:// with ssl_ca_certs): they work when the server's
certificate is signed by the CA the service trusts, and a certificate signed by another CA
gets fast JSON 503s and a failing /readyz, never a 500."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from redis import Redis

from ..support.common import SESSION_COOKIE, free_port, log_in
from ..support.redis_process import START_SECONDS, redis_server_binary


@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory) -> Iterator[tuple[int, Path, Path]]:
    """A TLS-only redis-server: its port, the CA that signed it, and a CA that did not."""
    directory = tmp_path_factory.mktemp("tls-redis")
    authority, stranger = trustme.CA(), trustme.CA()
    certificate = authority.issue_cert("127.0.0.1")
    certificate.private_key_pem.write_to_path(str(directory / "server.key"))
    certificate.cert_chain_pems[0].write_to_path(str(directory / "server.crt"))
    authority.cert_pem.write_to_path(str(directory / "ca.crt"))
    stranger.cert_pem.write_to_path(str(directory / "stranger.crt"))
    port = free_port()
    command = [
        redis_server_binary(),
        "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
        "--tls-cert-file", str(directory / "server.crt"),
        "--tls-key-file", str(directory / "server.key"),
        "--tls-ca-cert-file", str(directory / "ca.crt"),
        "--tls-auth-clients", "no",
        "--save", "", "--appendonly", "no", "--dir", str(directory),
    ]  # fmt: skip
    with (directory / "redis.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_answering(port, directory / "ca.crt")
        yield port, directory / "ca.crt", directory / "stranger.crt"
    finally:
        process.terminate()
        process.wait(10)


def wait_until_answering(port: int, ca: Path) -> None:
    client = Redis(host="127.0.0.1", port=port, ssl=True, ssl_ca_certs=str(ca), socket_timeout=1)
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            client.ping()
            return
        except Exception:
            assert time.monotonic() < deadline, "the TLS redis-server did not answer"
            time.sleep(0.05)
        finally:
            client.close()


def test_sessions_work_over_tls(make_app, tls_redis) -> None:
    port, ca, _ = tls_redis
    client = make_app(REDIS_URL=f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={ca}").test_client()
    assert log_in(client.post, "tls").status_code == 200  # the throttle and the session
    assert client.post("/api/session/items", json={"item": "sealed"}).status_code == 201
    assert client.get("/api/session").get_json() == {"username": "tls", "items": ["sealed"]}
    assert client.get("/readyz").get_json()["checks"]["redis"] == "ok"


def test_a_certificate_the_ca_did_not_sign_is_a_json_503(make_app, tls_redis) -> None:
    port, _, stranger = tls_redis
    untrusting = f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={stranger}"
    client = make_app(REDIS_URL=untrusting).test_client()
    client.set_cookie(SESSION_COOKIE, "an-id-that-must-be-looked-up")
    started = time.monotonic()
    response = client.get("/api/session")
    assert time.monotonic() - started < 1.0
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "redis_unavailable"
    readiness = client.get("/readyz")
    assert readiness.status_code == 503
    assert readiness.get_json()["checks"]["redis"] == "error"
