"""A TCP proxy on loopback that a test can cut and restore: a database outage on demand.

The service is pointed at the proxy instead of the database. `cut()` closes every proxied
connection and stops listening, so new connections are refused, as when the database server
is down; `restore()` listens again on the same port. An observer, if given, sees what each
client sends, in order, chunk by chunk. Plain threads, loopback only.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterator

ACCEPT_POLL_SECONDS = 0.05
CONNECT_TIMEOUT_SECONDS = 2.0
REBIND_SECONDS = 2.0
JOIN_SECONDS = 2.0
CHUNK = 65536

# Called with the client's link (one per connection) and each chunk it sends, on that
# link's own thread.
Observer = Callable[[object, bytes], None]


def _require_loopback(host: str) -> None:
    if host == "localhost":
        return
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"the test proxy only forwards to loopback addresses, not {host!r}")


class _Link:
    """One client connection and its connection to the target; closing one closes both."""

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client = client
        self.upstream = upstream
        self._closed = threading.Lock()
        self.closed = False

    def close(self) -> None:
        with self._closed:
            if self.closed:
                return
            self.closed = True
        for end in (self.client, self.upstream):
            # shutdown() wakes the pump blocked in recv() on the other thread; close() alone
            # would leave it waiting.
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()


class TcpProxy:
    """Forwards 127.0.0.1:`port` to `target_host`:`target_port` until cut."""

    def __init__(
        self, target_host: str, target_port: int, observer: Observer | None = None
    ) -> None:
        _require_loopback(target_host)
        self.target = (target_host, target_port)
        self.observer = observer
        self.port = 0  # chosen by the first listen, then kept across cut() and restore()
        self._lock = threading.Lock()
        self._links: set[_Link] = set()
        self._threads: list[threading.Thread] = []
        self._listener: socket.socket | None = None
        self._accepting: threading.Event | None = None
        self._acceptor: threading.Thread | None = None
        self._listen()

    # --- what a test calls ---------------------------------------------------------------
    def cut(self) -> None:
        """Drop every connection and refuse new ones: the database is gone."""
        self._stop_listening()
        with self._lock:
            links = list(self._links)
            self._links.clear()
        for link in links:
            link.close()

    def restore(self) -> None:
        """Accept connections again, on the same port: the database is back."""
        if self._listener is None:
            self._listen()

    def close(self) -> None:
        self.cut()
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(JOIN_SECONDS)

    def connection_count(self) -> int:
        with self._lock:
            return len(self._links)

    # --- inside ----------------------------------------------------------------------------
    def _listen(self) -> None:
        deadline = time.monotonic() + REBIND_SECONDS
        while True:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            # The port may still have connections in TIME_WAIT from before the cut.
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                listener.bind(("127.0.0.1", self.port))
                break
            except OSError:
                listener.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        listener.listen(128)
        listener.settimeout(ACCEPT_POLL_SECONDS)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._accepting = threading.Event()
        self._accepting.set()
        self._acceptor = self._spawn(self._accept_loop, listener, self._accepting)

    def _stop_listening(self) -> None:
        listener, accepting, acceptor = self._listener, self._accepting, self._acceptor
        if listener is None or accepting is None or acceptor is None:
            return
        # Stop the acceptor before closing its socket: closing a socket another thread is
        # waiting on is not a reliable way to wake that thread.
        accepting.clear()
        acceptor.join(JOIN_SECONDS)
        listener.close()  # from here on, connecting is refused
        self._listener = self._accepting = self._acceptor = None

    def _spawn(self, target, *args) -> threading.Thread:
        thread = threading.Thread(target=target, args=args, daemon=True)
        with self._lock:
            self._threads = [known for known in self._threads if known.is_alive()]
            self._threads.append(thread)
        thread.start()
        return thread

    def _accept_loop(self, listener: socket.socket, accepting: threading.Event) -> None:
        while accepting.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            if not accepting.is_set():
                client.close()
                return
            try:
                upstream = socket.create_connection(self.target, timeout=CONNECT_TIMEOUT_SECONDS)
            except OSError:
                client.close()  # the target itself is down: the client sees the same
                continue
            upstream.settimeout(None)
            link = _Link(client, upstream)
            with self._lock:
                self._links.add(link)
            self._spawn(self._pump, link, client, upstream, self.observer)
            self._spawn(self._pump, link, upstream, client, None)

    def _pump(
        self, link: _Link, source: socket.socket, sink: socket.socket, observer: Observer | None
    ) -> None:
        try:
            while True:
                data = source.recv(CHUNK)
                if not data:
                    break
                if observer is not None:
                    observer(link, data)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            link.close()
            with self._lock:
                self._links.discard(link)


@contextlib.contextmanager
def proxy_to(host: str, port: int, observer: Observer | None = None) -> Iterator[TcpProxy]:
    proxy = TcpProxy(host, port, observer)
    try:
        yield proxy
    finally:
        proxy.close()
