"""Behind trusted proxies (TRUSTED_PROXY_HOPS) the service sees the client's address, scheme
and host; with the default, forwarded headers from a client change nothing, also through the
real gunicorn, whose own trust in them is off."""

from __future__ import annotations

import pytest
import requests

from ..support.live_server import LiveServer

SPOOFED = {
    "X-Forwarded-For": "198.51.100.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "evil.example",
}


def seen(client, headers: dict, peer: str = "10.0.0.2") -> dict:
    response = client.get("/api/request", headers=headers, environ_base={"REMOTE_ADDR": peer})
    assert response.status_code == 200, response.text
    return response.get_json()


def test_by_default_forwarded_headers_change_nothing(client) -> None:
    state = seen(client, SPOOFED)
    assert (state["remote_addr"], state["scheme"]) == ("10.0.0.2", "http")
    assert state["url"] == "http://localhost/api/request"


def test_one_trusted_hop_gives_the_clients_address_scheme_and_host(make_app) -> None:
    client = make_app(TRUSTED_PROXY_HOPS="1").test_client()
    state = seen(client, {**SPOOFED, "X-Forwarded-Host": "api.example"})
    assert (state["remote_addr"], state["scheme"]) == ("198.51.100.7", "https")
    assert state["url"] == "https://api.example/api/request"


@pytest.mark.parametrize(("hops", "client_address"), [(1, "203.0.113.9"), (2, "198.51.100.7")])
def test_only_the_trusted_hops_of_a_spoofed_chain_count(make_app, hops, client_address) -> None:
    """A client sends its own X-Forwarded-For; each trusted proxy appends the address it saw:
    only the last `hops` entries are believed."""
    client = make_app(TRUSTED_PROXY_HOPS=str(hops)).test_client()
    chain = {"X-Forwarded-For": "6.6.6.6, 198.51.100.7, 203.0.113.9"}
    assert seen(client, chain)["remote_addr"] == client_address


def test_metrics_are_refused_to_a_public_client_behind_a_trusted_proxy(make_app) -> None:
    """The proxy's own private address no longer opens /metrics to everyone behind it."""
    client = make_app(TRUSTED_PROXY_HOPS="1").test_client()
    through_proxy = {"environ_base": {"REMOTE_ADDR": "10.0.0.2"}}
    outside = client.get("/metrics", headers={"X-Forwarded-For": "8.8.8.8"}, **through_proxy)
    inside = client.get("/metrics", headers={"X-Forwarded-For": "10.1.1.1"}, **through_proxy)
    assert (outside.status_code, inside.status_code) == (404, 200)


def test_gunicorn_believes_no_forwarded_header_by_default(server: LiveServer) -> None:
    state = requests.get(server.url("/api/request"), headers=SPOOFED, timeout=10).json()
    assert (state["remote_addr"], state["scheme"]) == ("127.0.0.1", "http")
    assert state["url"].startswith("http://127.0.0.1:")
