"""The app class: APIFlask (Flask with typed input, output and an OpenAPI document) with
the behaviours a threaded, greenlet-served service needs."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from apiflask import APIFlask
from flask.ctx import RequestContext

from ..worker_models.async_bridge import WorkerEventLoop, gevent_async_to_sync
from ..worker_models.gevent_state import gevent_is_active
from .errors import failed_dependency


class RequestMatchedOnce(RequestContext):
    """The session interface needs the route before Flask would match it (a @sessionless
    view never touches the store), so it matches first, and Flask's own match is skipped:
    the URL map is searched once per request. (No URL converter here reads the session,
    which Flask's later match would have allowed.)"""

    def match_request(self) -> None:
        if self.request.url_rule is None and self.request.routing_exception is None:
            super().match_request()


class ServiceFlask(APIFlask):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.worker_event_loop = WorkerEventLoop()

    def request_context(self, environ: dict) -> RequestContext:
        return RequestMatchedOnce(self, environ)

    def async_to_sync(self, func: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Any]:
        if gevent_is_active():
            return gevent_async_to_sync(self.worker_event_loop, func)
        return super().async_to_sync(func)

    def log_exception(self, exc_info) -> None:
        # Flask logs a traceback for every error that becomes a 500, before the handler
        # turns an outage into a 503. During a Redis outage that is one traceback per
        # request: log one line instead, and keep tracebacks for real bugs.
        dependency = failed_dependency(exc_info[1])
        if dependency is None:
            super().log_exception(exc_info)
            return
        self.logger.warning("%s unavailable: %s", dependency, type(exc_info[1]).__name__)
