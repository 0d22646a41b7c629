"""A route that declares a JSON body gets one, or a 415 or 400 before its view runs.

APIFlask's pydantic adapter reads the body with get_json(force=True): it would take JSON
sent as text/plain, and answer broken JSON with a bare 400. Checked here first, the client
learns which of the two it got wrong. The parsed body is kept by werkzeug, so the adapter
does not parse it again.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from werkzeug.exceptions import BadRequest

from .errors import APIError


def _declared_body(endpoint: str | None) -> bool:
    view = current_app.view_functions.get(endpoint) if endpoint else None
    # APIFlask records each route's declared input on the view as `_spec`.
    return "body" in getattr(view, "_spec", {})


def _require_json_body() -> None:
    if not _declared_body(request.endpoint):
        return
    if not request.is_json:
        raise APIError(415, "unsupported_media_type", "Send a JSON body (application/json)")
    try:
        request.get_json()
    except BadRequest:
        raise APIError(400, "malformed_json", "The body is not valid JSON") from None


def init_json_bodies(app: Flask) -> None:
    app.before_request(_require_json_body)
