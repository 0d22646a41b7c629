"""gunicorn settings for a baked service served by gunicorn's `asgi` worker, through an
adapter from apps/asgi_adapters.py: the service's own config, with the worker class and the
app changed.

BENCH_SERVICE_CONFIG is the path of the service's gunicorn.conf.py (a gthread service: the
adapters run the app on threads), BENCH_SERVICE_APP the service's WSGI app as gunicorn names
it, BENCH_ASGI_ADAPTER the adapter (asgiref or a2wsgi); the adapters' directory comes in
through PYTHONPATH.
"""

import os
import runpy
from types import SimpleNamespace

globals().update(
    (name, value)
    for name, value in runpy.run_path(os.environ["BENCH_SERVICE_CONFIG"]).items()
    if not name.startswith("__")
)
service_post_fork = post_fork  # noqa: F821 (defined by the service's config)

# An asyncio loop per worker (uvloop, which the benchmark installs); gunicorn warns if
# threads > 1. The service's `threads` go to a2wsgi's pool instead, so that each worker runs
# as many requests at once as the gthread worker does; the database pool, sized from the
# same number by the service's config, stays as it is.
worker_class = "asgi"
adapter_threads = threads  # noqa: F821 (defined by the service's config)
threads = 1
wsgi_app = {
    "asgiref": "asgi_adapters:asgiref()",
    "a2wsgi": f"asgi_adapters:a2wsgi({adapter_threads})",
}[os.environ["BENCH_ASGI_ADAPTER"]]


def post_fork(server, worker):
    """The service's own hook, given the Flask app inside the adapter: each worker drops the
    database connections it inherited from the master."""
    from asgi_adapters import service_app

    service_post_fork(server, SimpleNamespace(app=SimpleNamespace(wsgi=service_app)))
