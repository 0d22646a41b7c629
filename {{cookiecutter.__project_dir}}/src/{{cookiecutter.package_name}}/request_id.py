"""Each request gets an id: the caller's X-Request-ID when it is sane, else a new one."""

from __future__ import annotations

import re
import uuid

from flask import Flask, Response, g, request

HEADER = "X-Request-ID"
# Ids are echoed into logs and responses: only short, plain tokens are trusted.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def current_request_id() -> str:
    return g.request_id


def _assign_request_id() -> None:
    offered = request.headers.get(HEADER, "")
    g.request_id = offered if _SANE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex


def _echo_request_id(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id is not None:
        response.headers[HEADER] = request_id
    return response


def init_request_id(app: Flask) -> None:
    app.before_request(_assign_request_id)
    app.after_request(_echo_request_id)
