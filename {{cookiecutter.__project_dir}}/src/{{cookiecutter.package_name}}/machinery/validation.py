"""Reading JSON bodies and query values, with a JSON 4xx for every kind of bad input."""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.exceptions import BadRequest

from .errors import APIError


def json_object() -> dict[str, Any]:
    if not request.is_json:
        raise APIError(415, "unsupported_media_type", "Send a JSON body (application/json)")
    try:
        body = request.get_json()
    except BadRequest:
        raise APIError(400, "malformed_json", "The body is not valid JSON") from None
    if not isinstance(body, dict):
        raise APIError(422, "invalid_body", "The body must be a JSON object")
    return body


def text_field(body: dict[str, Any], name: str, max_length: int, printable: bool = True) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise APIError(422, "invalid_field", f"'{name}' must be a string")
    if not 1 <= len(value) <= max_length:
        raise APIError(422, "invalid_field", f"'{name}' must be 1-{max_length} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise APIError(422, "invalid_field", f"'{name}' is not valid Unicode text") from None
    if printable and not value.isprintable():
        raise APIError(422, "invalid_field", f"'{name}' must not contain control characters")
    return value


def query_number(name: str, default: float, low: float, high: float, kind: type = float) -> Any:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise APIError(422, "invalid_query", f"'{name}' must be a {kind.__name__}") from None
    if not low <= value <= high:
        raise APIError(422, "invalid_query", f"'{name}' must be between {low} and {high}")
    return value
