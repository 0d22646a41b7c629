"""The service's WSGI app behind an ASGI adapter, for gunicorn's `asgi` worker.

Flask is WSGI; an ASGI server needs something to run each request's WSGI call somewhere
that may block. The two adapters worth trying do it differently:

- asgiref's WsgiToAsgi (already in the service's environment: Flask's async views use
  asgiref) runs the call through `sync_to_async` with `thread_sensitive=True`. Outside a
  ThreadSensitiveContext, which gunicorn does not open per request, every request of a
  worker runs on one shared thread, one at a time.
- a2wsgi's WSGIMiddleware runs it on a thread pool of its own, sized here like the gthread
  worker's threads, and passes the body and the answer through asyncio queues.
"""

from __future__ import annotations

import os

from gunicorn.util import import_app


def service_app():
    """The service's Flask app (imported once; preloaded in the master by gunicorn)."""
    return import_app(os.environ["BENCH_SERVICE_APP"])


def asgiref():
    from asgiref.wsgi import WsgiToAsgi

    return WsgiToAsgi(service_app())


def a2wsgi(threads: int):
    from a2wsgi import WSGIMiddleware

    return WSGIMiddleware(service_app(), workers=threads)
