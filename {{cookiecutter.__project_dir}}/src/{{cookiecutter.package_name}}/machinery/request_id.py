"""Each request gets an id: the caller's X-Request-ID when it is sane, else a new one.

It is given on first use, not in a before_request hook: a request can be logged, and
answered, before those hooks run (a session store that fails while the session opens).
"""

from __future__ import annotations

import re
import uuid

from flask import Flask, Response, g, request

HEADER = "X-Request-ID"
# Ids are echoed into logs and responses: only short, plain tokens are trusted.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def current_request_id() -> str:
    """This request's id; call it inside a request."""
    if "request_id" not in g:
        offered = request.headers.get(HEADER, "")
        g.request_id = offered if _SANE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
    return g.request_id


def _echo_request_id(response: Response) -> Response:
    response.headers[HEADER] = current_request_id()
    return response


def init_request_id(app: Flask) -> None:
    app.after_request(_echo_request_id)
