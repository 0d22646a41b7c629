"""Under gevent, a client that keeps its next request waiting cannot keep a worker to
itself. One connection sends a burst of pipelined requests, another a single request
just after: the single one is answered long before the burst is, because the worker
yields after each request (post_request in gunicorn.conf.py). Without that yield the
burst's reads never block, gevent never switches, and the single request waits for all of
them (the p99 of hundreds of milliseconds the benchmark showed on /healthz)."""

from __future__ import annotations

import socket
import time

from ..support.live_server import LiveServer, broken_config, start

BURST = 300
REQUEST = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"


def answers_in(data: bytes) -> int:
    return data.count(b"HTTP/1.1 200")


def read_until(sock: socket.socket, answers: int, seconds: float = 30) -> bytes:
    received = b""
    deadline = time.monotonic() + seconds
    while answers_in(received) < answers and time.monotonic() < deadline:
        received += sock.recv(65536)
    return received


def burst_answered_before_a_single_request(live: LiveServer) -> int:
    host, port = live.url("").removeprefix("http://").split(":")
    with (
        socket.create_connection((host, int(port)), timeout=30) as greedy,
        socket.create_connection((host, int(port)), timeout=30) as single,
    ):
        greedy.sendall(REQUEST * BURST)
        # The single request goes once the burst is being served: sent together, the two
        # could reach a worker whose greenlets both wait, which then picks either first.
        greedy.recv(1, socket.MSG_PEEK)
        single.sendall(REQUEST)
        read_until(single, 1)
        greedy.setblocking(False)
        received = b""
        try:
            while chunk := greedy.recv(1 << 20):
                received += chunk
        except BlockingIOError:
            pass
        greedy.setblocking(True)
        read_until(greedy, BURST - answers_in(received))  # let the burst finish
        return answers_in(received)


def test_a_burst_on_one_connection_does_not_hold_up_another(live_settings) -> None:
    with start(live_settings, "fairness", WEB_CONCURRENCY="1") as live:
        assert burst_answered_before_a_single_request(live) < BURST // 2


def test_without_the_yield_the_burst_is_served_first(live_settings, tmp_path) -> None:
    broken = broken_config(tmp_path, lines=("gevent_sleep(0)",))
    with start(live_settings, "unfair", config=broken, WEB_CONCURRENCY="1") as live:
        assert burst_answered_before_a_single_request(live) == BURST
