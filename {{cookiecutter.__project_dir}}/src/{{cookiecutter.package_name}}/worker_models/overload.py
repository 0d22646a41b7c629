"""What a worker needs to refuse a request past capacity, whatever its model: how long the
request has waited so far, and the refusal.

A request's wait counts from when the kernel received its bytes, not from when gunicorn
accepted its connection: past capacity most of the wait may be in the listen queue, before
any code of ours sees the request. Linux keeps that time per connection (tcp_info).
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
from typing import Any

from gunicorn import util

# The service's error body (machinery/errors.py), written out: a worker model imports
# nothing of the service, and this answer is sent before the app could be asked.
BODY = b'{"error": {"code": "overloaded", "message": "This server is busy: retry in a second"}}'
REFUSAL = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"Connection: close\r\n"
    b"Content-Type: application/json\r\n"
    b"Retry-After: 1\r\n"
    b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY
)
# How long a refused connection is read, waiting for the client to close it.
DRAIN_SECONDS = 0.5
# struct tcp_info (linux/tcp.h): tcpi_last_data_recv, in milliseconds, at this offset.
LAST_DATA_RECEIVED = 52


def seconds_since_data(sock: socket.socket) -> float:
    """How long ago the kernel received the bytes waiting on the connection: for a request,
    how long it has waited so far, accepted or not. 0 when nothing is waiting (a client that
    connected and has not sent yet has not waited for us), and elsewhere than Linux."""
    try:
        if not sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT):
            return 0.0  # the client has closed: whatever comes next is quick
    except OSError:  # nothing to read yet (BlockingIOError among them)
        return 0.0
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
        return struct.unpack_from("I", info, LAST_DATA_RECEIVED)[0] / 1000
    except (AttributeError, OSError, struct.error):
        return 0.0


def refuse(sock: socket.socket) -> None:
    """The refusal, written before the request is read; then the connection is half-closed
    and read until the client closes it: unread request bytes would turn a plain close into
    a reset that loses the answer."""
    with contextlib.suppress(OSError):  # the client has gone already
        sock.sendall(REFUSAL)
    util.close_graceful(sock, timeout=DRAIN_SECONDS)


def queue_budget() -> float:
    """GUNICORN_QUEUE_BUDGET_MS in seconds, as gunicorn.conf.py checked and exported it."""
    return int(os.environ["GUNICORN_QUEUE_BUDGET_MS"]) / 1000


class RefusesWhatWaitedTooLong:
    """For a worker that takes one connection at a time from the listen queue (sync, and
    gevent once it holds all its connections): a request that waited there longer than the
    budget is answered with the refusal instead of being served. Mixed in before the
    worker's class. With TLS in gunicorn itself nothing is refused."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue_budget = queue_budget()

    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        if seconds_since_data(client) <= self.queue_budget or self.cfg.is_ssl:
            super().handle(listener, client, addr)
        else:
            refuse(client)
