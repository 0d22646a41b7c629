"""One logging configuration for everything the service writes: gunicorn's error and access
logs, the app's loggers and the libraries'. Under gunicorn its logger applies it
(server/gunicorn_integration.py); create_app applies it where nothing has configured logging yet
(flask run, flask db).

LOG_FORMAT=json writes one JSON object a line: time, level, logger, message, the request id
of the request being handled, an exception as a field. LOG_FORMAT=text writes plain lines,
ending with request_id=... as well.
"""

from __future__ import annotations

import logging
import logging.config
from typing import Any

from flask import Flask, has_request_context
from pythonjsonlogger.json import JsonFormatter

from .request_id import current_request_id
from .settings import Settings

TEXT_FORMAT = (
    "[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s request_id=%(request_id)s"
)
JSON_FIELDS = ("levelname", "name", "message")


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request being handled. On the handlers, not the
    loggers: a logger's filter never sees records propagated from the libraries' loggers."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


class TextLines(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT, defaults={"request_id": "-"})


class JsonLines(JsonFormatter):
    def __init__(self) -> None:
        names = {"levelname": "level", "name": "logger", "exc_info": "exception"}
        super().__init__(list(JSON_FIELDS), rename_fields=names, timestamp="time")


class JsonAccessLines(JsonLines):
    """gunicorn's access records as JSON built from the request's fields, not from a format
    string: a quote, backslash or tab in a header cannot break the line."""

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message: dict
    ) -> None:
        super().add_fields(log_data, record, message)
        atoms = record.args if isinstance(record.args, dict) else {}
        method, path, status = _atom(atoms, "m"), _atom(atoms, "U"), _atom(atoms, "s")
        log_data["message"] = f"{method} {path} {status}"
        log_data.update(
            method=method,
            path=path,
            query=_atom(atoms, "q"),
            status=int(status) if str(status).isdigit() else status,
            duration_seconds=atoms.get("D", 0) / 1_000_000,
            bytes=atoms.get("B"),
            remote_addr=_atom(atoms, "h"),
            user_agent=_atom(atoms, "a"),
            request_id=_atom(atoms, "{x-request-id}o"),
        )


def _atom(atoms: dict, name: str) -> Any:
    """A value as the request had it, or None: gunicorn hands its atoms over with every `"`
    escaped as `\\"` (for its own format string) and `-` for what is missing."""
    value = atoms.get(name)
    if isinstance(value, str):
        value = value.replace('\\"', '"')
    return None if value in (None, "-") else value


def logging_config(log_format: str, log_level: str) -> dict[str, Any]:
    """The dictConfig for the whole process: the root logger (the app's and the libraries'
    records) and gunicorn's two loggers, all to stdout."""
    json_lines = log_format == "json"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {
            "lines": {"()": JsonLines if json_lines else TextLines},
            # Text access lines are gunicorn's access_log_format, request id included.
            "access": {"()": JsonAccessLines} if json_lines else {"format": "%(message)s"},
        },
        "handlers": {
            "lines": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "lines",
                "filters": ["request_id"],
            },
            "access": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "access",
            },
        },
        "root": {"level": log_level, "handlers": ["lines"]},
        "loggers": {
            # Their levels stay gunicorn's own (GUNICORN_LOG_LEVEL), set before this applies.
            "gunicorn.error": {"handlers": ["lines"], "propagate": False},
            "gunicorn.access": {"handlers": ["access"], "propagate": False},
        },
    }


def init_logging(app: Flask, settings: Settings) -> None:
    """Configure logging where nothing has yet: under gunicorn its config already did, and
    under pytest the test runner's own capture must stay."""
    if not logging.getLogger().handlers:
        logging.config.dictConfig(logging_config(settings.log_format, settings.log_level))
    app.logger.setLevel(settings.log_level)
