"""Headers a JSON API sends on every response, errors included."""

from flask import Flask, Response

HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
)


def _add_security_headers(response: Response) -> Response:
    for name, value in HEADERS:
        response.headers.setdefault(name, value)
    return response


def init_security_headers(app: Flask) -> None:
    app.after_request(_add_security_headers)
