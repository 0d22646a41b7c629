"""An open-loop load: requests sent on a fixed schedule, whatever the answers do.

A closed-loop client (wrk, a pool of threads that each wait for their answer) sends less
when the service slows down, so the queue it would have met never forms and the latency it
reports leaves out the wait (coordinated omission). Here every request leaves at its own
time, on a connection of its own, and its latency counts from that time (a late send
counts against the answer, not for it). A bare HTTP/1.1
exchange over asyncio, because one process must send hundreds a second on two cores, which
a thread per request cannot.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Answer:
    sent: float  # seconds from the start of the load
    seconds: float | None  # None: no answer within the timeout
    status: int | None = None
    headers: dict[str, str] | None = None
    body: bytes = b""

    def json(self) -> dict:
        return json.loads(self.body)


async def _exchange(host: str, port: int, target: str) -> tuple[int, dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        request = f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
        writer.write(request.encode("ascii"))
        response = await reader.read()  # to the end: the connection closes after the answer
    finally:
        writer.close()
    head, _, body = response.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


async def _send_at(start: float, offset: float, url: str, timeout: float) -> Answer:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    due = start + offset
    await asyncio.sleep(max(0.0, due - time.monotonic()))
    try:
        status, headers, body = await asyncio.wait_for(
            _exchange(parts.hostname, parts.port, target), timeout
        )
    except (TimeoutError, OSError, ValueError, IndexError):
        return Answer(offset, None)
    return Answer(offset, time.monotonic() - due, status, headers, body)


def offer(url: str, rate: float, seconds: float, timeout: float = 10) -> list[Answer]:
    """GET `url` `rate` times a second for `seconds`, evenly spaced; every answer."""

    async def load() -> list[Answer]:
        start = time.monotonic() + 0.1
        count = int(rate * seconds)
        tasks = [_send_at(start, n / rate, url, timeout) for n in range(count)]
        return await asyncio.gather(*tasks)

    return asyncio.run(load())
