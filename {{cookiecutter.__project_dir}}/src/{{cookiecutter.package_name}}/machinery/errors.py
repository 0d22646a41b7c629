"""Every error leaves as JSON {"error": {"code", "message"}}; lost dependencies as a 503,
and so does a request the database pool could not serve in time (overloaded).

APIFlask sends every HTTP error, every `abort` and every failed validation through one
error processor; the one here gives them all the service's error body. A failed validation
adds which part of the request was wrong and why, field by field ("location", "fields").
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from apiflask import APIFlask, HTTPError
from flask import Response, current_app, jsonify
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import MasterDownError, ReadOnlyError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError

VALIDATION_FAILED = "validation_failed"

RETRY_AFTER_SECONDS = 1
DEPENDENCY_ERRORS = (
    # A Redis that answers but cannot take the command now is as unavailable as one that
    # does not answer: a replica (READONLY: a failover moved the master away from a plain
    # URL's host), a replica cut off from its master (MASTERDOWN).
    ("redis", (RedisConnectionError, RedisTimeoutError, ReadOnlyError, MasterDownError)),
    ("database", (OperationalError,)),
)
# Redis replies of the same kind that redis-py has no class for: a master that refuses
# writes while fewer replicas than its min-replicas-to-write keep up.
REDIS_UNAVAILABLE_REPLIES = ("NOREPLICAS ",)


class APIError(HTTPError):
    """A client error the service explains: raise it from any view."""

    def __init__(self, status: int, code: str, message: str, **headers: str) -> None:
        super().__init__(status, message, headers=headers or None, extra_data={"code": code})
        self.code = code


def error_document(code: str, message: str) -> dict:
    """The body of every error the service sends, whoever sends it."""
    return {"error": {"code": code, "message": message}}


def error_code(name: str) -> str:
    """An HTTP reason phrase as an error code: "URI Too Long" is "uri_too_long"."""
    return name.lower().replace(" ", "_")


def error_response(status: int, code: str, message: str) -> Response:
    response = jsonify(error_document(code, message))
    response.status_code = status
    return response


def failed_dependency(error: BaseException | None) -> str | None:
    for name, kinds in DEPENDENCY_ERRORS:
        if isinstance(error, kinds):
            return name
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return "database"
    if isinstance(error, ResponseError) and str(error).startswith(REDIS_UNAVAILABLE_REPLIES):
        return "redis"
    return None


def dependency_unavailable(name: str) -> Response:
    response = error_response(503, f"{name}_unavailable", f"The {name} is unavailable; retry")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _pool_exhausted(_error: PoolTimeoutError) -> Response:
    # Every connection busy for longer than the wait allowed (connection_admission.py): the
    # database is up, the service is past capacity. Not logged: past capacity that would
    # be a line for each of hundreds of requests a second.
    response = error_response(503, "overloaded", "This server is busy: retry in a second")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _error_body(error: HTTPError) -> tuple[dict, int, Any]:
    """APIFlask's error processor: APIError, abort(), werkzeug's errors and validation."""
    extra = dict(error.extra_data)
    code = extra.pop("code", None)
    if error.detail:  # a failed validation: {location: {field: [messages]}}
        ((location, fields),) = error.detail.items()
        code = code or VALIDATION_FAILED
        extra.update(location=location, fields=fields)
    code = code or error_code(HTTPStatus(error.status_code).phrase)
    body = error_document(code, error.message)
    body["error"].update(extra)
    return body, error.status_code, error.headers


def _werkzeug_error(error: HTTPException) -> tuple[dict, int, Any]:
    # APIFlask's own handler for these keeps only the reason phrase; the description says
    # what to change ("The method is not allowed for the requested URL.").
    headers = {
        name: value
        for name, value in error.get_headers()
        if name.lower() not in ("content-type", "content-length")
    }  # Allow on 405, Retry-After where set
    return _error_body(
        HTTPError(
            error.code or 500,
            error.description or error.name,
            headers=headers,
            extra_data={"code": error_code(error.name or "error")},
        )
    )


def _server_error(error: InternalServerError) -> Response:
    # Errors raised while the session is opened or saved never reach the handlers for
    # their own class: Flask turns them into a 500 carrying the original error. Sort
    # dependency outages out of those here.
    original = getattr(error, "original_exception", None)
    name = failed_dependency(original)
    if name is not None:
        return dependency_unavailable(name)
    return error_response(500, "internal_error", "The server failed to answer the request")


def _dependency_error(error: Exception) -> Response:
    name = failed_dependency(error)
    if name is None:
        raise error
    current_app.logger.warning("%s unavailable: %s", name, type(error).__name__)
    return dependency_unavailable(name)


def register_error_handlers(app: APIFlask) -> None:
    app.error_processor(_error_body)
    app.register_error_handler(HTTPException, _werkzeug_error)
    app.register_error_handler(500, _server_error)
    for _, kinds in DEPENDENCY_ERRORS:
        for kind in kinds:
            app.register_error_handler(kind, _dependency_error)
    app.register_error_handler(PoolTimeoutError, _pool_exhausted)
    app.register_error_handler(DBAPIError, _dependency_error)
    app.register_error_handler(ResponseError, _dependency_error)
