"""What gunicorn.conf.py plugs into gunicorn, by name, so that loading the config imports
nothing of the service (it sets up the metrics directory before anything may import
prometheus_client).

- ServiceLogger (logger_class): gunicorn's logger, set up with the service's one logging
  configuration (log_config.py), again on every configuration reload.
- write_json_error (on_starting): requests that gunicorn refuses before the app sees them (a
  garbage request line, a control character in a header, a request line or headers over
  its limits) get the service's JSON error body, with the status gunicorn chose, instead of
  gunicorn's HTML page. gunicorn has no setting for that page; the hook puts this function
  in place of gunicorn.util.write_error, which every worker class calls to send it.
"""

from __future__ import annotations

import json
import logging
import logging.config
import os
import socket
import sys

from gunicorn import util
from gunicorn.glogging import Logger

from .errors import error_code, error_document
from .log_config import logging_config
from .security_headers import HEADERS
from .settings import ConfigError, log_settings


class ServiceLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)  # gunicorn's levels and handlers, which the configuration replaces
        try:
            log_format, log_level = log_settings(os.environ)
        except ConfigError as error:
            sys.exit(f"configuration error: {error}")
        logging.config.dictConfig(logging_config(log_format, log_level))
        # Python's warnings as log records too: every line on stdout stays one record.
        logging.captureWarnings(True)


def write_json_error(sock: socket.socket, status: int, reason: str, _detail: str) -> None:
    # The detail quotes what the client sent; gunicorn logs it, it does not go back out.
    body = json.dumps(error_document(error_code(reason), reason)).encode()
    head = [
        f"HTTP/1.1 {status} {reason}",
        "Connection: close",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in HEADERS),
    ]
    util.write_nonblock(sock, "\r\n".join(head).encode("latin-1") + b"\r\n\r\n" + body)
