"""Clients that hold connections by sending slowly: request headers a byte at a time
(slowloris) and never ending them, and request bodies in small pieces. Run as a process of their own
(`python slow_clients.py URL SECONDS HEADER_CONNECTIONS SESSION [UPLOAD_BYTES ...]`), so that
their thousand small writes a second do not take the measuring client's interpreter. The
header connections give up after SECONDS, the uploads end between SECONDS and a second
later. SESSION is a logged-in session's cookie value, which the uploads send (a note needs
a login), or "-" for none. Prints, as JSON, what became of them.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from urllib.parse import urlsplit

PIECES = 100  # an upload's body, sent in this many writes spread over the time
ANSWER_SECONDS = 20  # after the last byte
PACE = 0.2  # seconds between a header connection's bytes


async def _status(reader: asyncio.StreamReader) -> str:
    """The answer's status code, or what ended the connection without one."""
    line = await reader.readline()
    return line.split()[1].decode("ascii") if line.startswith(b"HTTP/") else "closed"


async def _headers_a_byte_at_a_time(host: str, port: int, seconds: float) -> str:
    """A request whose headers never end: a byte every PACE seconds, for `seconds`."""
    request = (
        f"GET /healthz HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: slow-client\r\n"
        f"Accept: application/json\r\nX-Padding: {'x' * 100}\r\n"
    ).encode("ascii")
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for byte in request[: int(seconds / PACE)]:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(PACE)
        # Still open, unanswered: held the whole time, and now given up.
        return "held" if not reader.at_eof() else await _status(reader)
    finally:
        writer.close()


async def _slow_upload(host: str, port: int, seconds: float, size: int, session: str) -> str:
    """A note whose body is `size` bytes long, sent over `seconds` by a logged-in user: a body
    this long that fits MAX_CONTENT_LENGTH is read whole by the service before it answers."""
    prefix, suffix = b'{"title": "a slow upload", "body": "', b'"}'
    body = prefix + b"x" * (size - len(prefix) - len(suffix)) + suffix
    head = (
        f"POST /api/notes HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Cookie: session={session}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode("ascii")
    piece = -(-len(body) // PIECES)
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(head)
        for start in range(0, len(body), piece):
            await asyncio.sleep(seconds / PIECES)
            writer.write(body[start : start + piece])
            await writer.drain()
        return await _status(reader)
    finally:
        writer.close()


async def _outcome(client, seconds: float) -> str:
    try:
        return await asyncio.wait_for(client, seconds)
    except TimeoutError:
        return "unanswered"
    except OSError as error:
        return type(error).__name__


async def hold(
    url: str, seconds: float, header_connections: int, session: str, uploads: list[int]
) -> dict:
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port
    clients = [_headers_a_byte_at_a_time(host, port, seconds) for _ in range(header_connections)]
    # The uploads' ends spread over a second: all at once, most would be refused as past
    # capacity.
    clients += [
        _slow_upload(host, port, seconds + n / len(uploads), size, session)
        for n, size in enumerate(uploads)
    ]
    outcomes = await asyncio.gather(*(_outcome(c, seconds + ANSWER_SECONDS) for c in clients))
    split = header_connections
    return {
        "headers": dict(Counter(outcomes[:split])),
        "uploads": {
            str(size): dict(
                Counter(o for s, o in zip(uploads, outcomes[split:], strict=True) if s == size)
            )
            for size in sorted(set(uploads))
        },
    }


if __name__ == "__main__":
    url, seconds, connections, session, *sizes = sys.argv[1:]
    sizes = [int(size) for size in sizes]
    result = asyncio.run(hold(url, float(seconds), int(connections), session, sizes))
    print(json.dumps(result))
