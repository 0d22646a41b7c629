"""The OpenAPI document: built once in create_app, then served as it is.

APIFlask writes the document from what each route declares (its input and output models,
its `doc(responses=...)`). What every route answers by the machinery's own hand is added
here, so that no route has to repeat it: the service's error body as the schema of every
error; for each operation that takes a JSON body, that the body is required and the 400,
413 and 415 that json_bodies.py and the server answer before the view runs; and for each
that changes something, the 403 of cross_origin.py.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from apiflask import APIFlask

from .cross_origin import UNSAFE_METHODS


def error_schema() -> dict[str, Any]:
    """The body of every error (errors.py), validation errors included."""
    return {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "description": "Stable, for programs"},
                    "message": {"type": "string", "description": "For people"},
                    "location": {
                        "type": "string",
                        "description": "A failed validation: the part of the request at fault",
                    },
                    "fields": {
                        "type": "object",
                        "description": "A failed validation: each faulty field and why",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    },
                },
            }
        },
    }


ERROR_REFERENCE = "#/components/schemas/HTTPError"  # where APIFlask puts error_schema()
BODY_ERRORS = (
    HTTPStatus.BAD_REQUEST,  # not JSON at all
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE,  # over MAX_CONTENT_LENGTH
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE,  # not application/json
)


def _error_response(status: HTTPStatus) -> dict[str, Any]:
    return {
        "description": status.phrase,
        "content": {"application/json": {"schema": {"$ref": ERROR_REFERENCE}}},
    }


def _add_machinery_errors(spec: dict[str, Any]) -> dict[str, Any]:
    for operations in spec.get("paths", {}).values():
        for method, operation in operations.items():
            if method.upper() in UNSAFE_METHODS:
                forbidden = _error_response(HTTPStatus.FORBIDDEN)
                forbidden["description"] = "Sent by a page of another origin (cross_origin.py)"
                operation.setdefault("responses", {}).setdefault("403", forbidden)
            if "requestBody" not in operation:
                continue
            # A route that declares a body needs one: without it, a 415 (json_bodies.py).
            operation["requestBody"]["required"] = True
            responses = operation.setdefault("responses", {})
            for status in BODY_ERRORS:
                responses.setdefault(str(status.value), _error_response(status))
    return spec


def init_api_contract(app: APIFlask) -> None:
    """Shape the document; call it before any route is registered."""
    app.config.update(
        HTTP_ERROR_SCHEMA=error_schema(),
        VALIDATION_ERROR_SCHEMA=error_schema(),
        VALIDATION_ERROR_DESCRIPTION="The request is not valid: see fields",
        # A document the same wherever it is built: no server taken from the request.
        AUTO_SERVERS=False,
    )
    app.spec_processor(_add_machinery_errors)


def build_api_contract(app: APIFlask) -> None:
    """Build the document once every route is registered: never lazily, per request."""
    app.spec  # noqa: B018 - reading the property builds and keeps the document
