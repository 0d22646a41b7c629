"""Requests that change something, refused when a page of another origin made them.

The session cookie rides along with any request the browser sends to the service, whichever
page asked for it: a form or a `fetch` on another site acts as the user (cross-site request
forgery). SameSite=Lax does not stop it from another port of the same host, which is the
same site. A token kept in the session (Flask-WTF's) would cost a session write per token,
and parallel requests would lose some. So this asks the browser where a request comes from,
as Go 1.25's http.CrossOriginProtection and OWASP's Fetch Metadata guidance do, with no
state at all. No library of Flask's does this without a token, and the rule is a few lines.

For POST, PUT, PATCH and DELETE (GET, HEAD and OPTIONS change nothing and pass):

- `Sec-Fetch-Site` (sent by every current browser): `same-origin`, or `none` (the user
  typed it), passes; `same-site` and `cross-site` are refused;
- without it (older browsers, programs): no `Origin` passes, since curl and other services
  send none and carry no user's cookie unless they hold it; an `Origin` whose host and port
  are the request's passes; any other is refused;
- an origin in TRUSTED_ORIGINS passes either way.

A refusal is a 403 `cross_origin_request`, answered before the view runs. Each answer to
such a request varies on the headers it was judged by. The check reads headers only: it adds
no Redis or database round trip, and a refused request writes nothing.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, g, request

from .errors import APIError
from .settings import Settings

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ALLOWED_SITES = frozenset({"same-origin", "none"})
REFUSED = "A page of another origin may not send this request"


def _same_host(origin: str, host: str) -> bool:
    return urlsplit(origin).netloc.lower() == host.lower()


def judged_by(origin_trusted: frozenset[str]) -> tuple[bool, list[str]]:
    """Whether the current request passes, and the headers that decided it."""
    site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    if site is not None:
        if site.lower() in ALLOWED_SITES:
            return True, ["Sec-Fetch-Site"]
        return (origin or "").lower() in origin_trusted, ["Sec-Fetch-Site", "Origin"]
    if origin is None:
        return True, ["Sec-Fetch-Site", "Origin"]
    allowed = origin.lower() in origin_trusted or _same_host(origin, request.host)
    return allowed, ["Sec-Fetch-Site", "Origin"]


def init_cross_origin_protection(app: Flask, settings: Settings) -> None:
    trusted = settings.trusted_origins

    @app.before_request
    def refuse_cross_origin_writes() -> None:
        if request.method not in UNSAFE_METHODS:
            return
        allowed, headers = judged_by(trusted)
        g.judged_by_headers = headers
        if not allowed:
            raise APIError(403, "cross_origin_request", REFUSED)

    @app.after_request
    def vary_on_what_was_judged(response: Response) -> Response:
        for header in g.get("judged_by_headers", ()):
            response.vary.add(header)
        return response
