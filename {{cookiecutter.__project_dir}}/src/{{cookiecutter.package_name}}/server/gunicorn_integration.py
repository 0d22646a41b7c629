"""What gunicorn.conf.py plugs into gunicorn, by name, so that loading the config imports
nothing of the service (it sets up the metrics directory before anything may import
prometheus_client).

- ServiceLogger (logger_class): gunicorn's logger, set up with the service's one logging
  configuration (machinery/log_config.py), again on every configuration reload, and handing its
  access lines only the atoms they use (access_atoms).
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
from typing import Any

from gunicorn import util
from gunicorn.glogging import Logger

from ..machinery.errors import error_code, error_document
from ..machinery.log_config import logging_config
from ..machinery.security_headers import HEADERS
from ..machinery.settings import ConfigError, log_settings


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

    def access(self, resp, req, environ, request_time) -> None:
        if not self.access_log_enabled:
            return
        atoms = self.atoms_wrapper_class(access_atoms(resp, environ, request_time))
        try:
            self.access_log.info(self.cfg.access_log_format, atoms)
        except Exception:
            # As gunicorn's own access(): a line that cannot be written never fails the answer.
            self.exception("Could not write the access line")


def access_atoms(resp, environ: dict, request_time) -> dict[str, Any]:
    """The atoms of access_log_format and of the JSON access lines; any other logs "-".

    gunicorn's own access() builds some sixty atoms per request, every environ variable and
    header among them, then escapes each one: that cost about a tenth of a request's CPU in
    the benchmark's mix, for the dozen the lines use.
    """
    status = resp.status
    if isinstance(status, str):
        status = status.split(None, 1)[0]
    sent = getattr(resp, "sent", None)
    micros = request_time.seconds * 1_000_000 + request_time.microseconds
    method = environ.get("REQUEST_METHOD")
    request_id = next((v for k, v in resp.headers if k.lower() == "x-request-id"), "-")
    return {
        "h": environ.get("REMOTE_ADDR", "-"),
        "r": f"{method} {environ.get('RAW_URI')} {environ.get('SERVER_PROTOCOL')}",
        "s": status,
        "m": method,
        "U": environ.get("PATH_INFO"),
        "q": environ.get("QUERY_STRING"),
        "b": "-" if sent is None else str(sent),
        "B": sent,
        "D": micros,
        "M": micros // 1000,
        "a": environ.get("HTTP_USER_AGENT", "-"),
        "{x-request-id}o": request_id,
    }


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
