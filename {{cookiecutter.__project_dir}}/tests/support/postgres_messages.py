"""Counts the round trips PostgreSQL clients make, from the bytes they send through a proxy.

The frontend protocol: a connection opens with untyped messages (an SSL or GSS encryption
request, then the startup message: an Int32 length and an Int32 code), then sends typed
ones (a byte, then an Int32 length that counts itself). A client waits for the server after
a simple Query ('Q') or a Sync ('S') that ends an extended-protocol batch (Parse, Bind,
Execute...), so those two are its round trips.
"""

from __future__ import annotations

import struct
import threading

PROTOCOL_3 = 196608  # the startup message's code: protocol version 3.0
ROUND_TRIP_TYPES = frozenset(b"QS")


class _Stream:
    def __init__(self) -> None:
        self.buffer = b""
        self.started = False


class RoundTrips:
    """An observer for tcp_proxy.TcpProxy: round trips made by all its clients so far."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Keyed by the link itself, not its id(), which a later link could reuse.
        self._streams: dict[object, _Stream] = {}
        self._count = 0

    def count(self) -> int:
        with self._lock:
            return self._count

    def __call__(self, link: object, data: bytes) -> None:
        with self._lock:
            stream = self._streams.setdefault(link, _Stream())
            stream.buffer += data
            self._count += self._consume(stream)

    @staticmethod
    def _consume(stream: _Stream) -> int:
        round_trips = 0
        while True:
            if stream.started:
                if len(stream.buffer) < 5:
                    return round_trips
                length = 1 + struct.unpack("!i", stream.buffer[1:5])[0]
                round_trip = stream.buffer[0] in ROUND_TRIP_TYPES
            else:
                if len(stream.buffer) < 8:
                    return round_trips
                length, code = struct.unpack("!ii", stream.buffer[:8])
                round_trip = False
            if len(stream.buffer) < length:
                return round_trips  # the rest of this message is still on its way
            if not stream.started:
                stream.started = code == PROTOCOL_3
            round_trips += round_trip
            stream.buffer = stream.buffer[length:]
