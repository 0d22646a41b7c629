"""Headers a JSON API sends on every response, errors included.

They are added where the answer leaves the app, to the WSGI header list, from a tuple made
once: werkzeug's Headers.setdefault scans every header for each name it sets, and five of
them per request cost more than the rest of a /healthz answer (profiled). A header a view
set itself is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
)
_NAMES = frozenset(name.lower() for name, _ in HEADERS)


class SecurityHeaders:
    """WSGI middleware adding HEADERS to every answer that does not set them itself."""

    def __init__(self, wsgi_app: Callable) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        def with_security_headers(status: str, headers: list, exc_info: Any = None):
            already_set = {name.lower() for name, _ in headers} & _NAMES
            if already_set:
                headers.extend(h for h in HEADERS if h[0].lower() not in already_set)
            else:
                headers.extend(HEADERS)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, with_security_headers)


def init_security_headers(app: Flask) -> None:
    app.wsgi_app = SecurityHeaders(app.wsgi_app)
