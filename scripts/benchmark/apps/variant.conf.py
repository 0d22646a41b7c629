"""gunicorn settings for an app served in a baked service's place: the service's own.

BENCH_SERVICE_CONFIG is the path of the service's gunicorn.conf.py, BENCH_WSGI_APP the app
to serve instead of the service's; the app's directory comes in through PYTHONPATH.
"""

import os
import runpy

# Running the service's config whole keeps its side effects too (the gevent patch first of
# all), so the app is served exactly as the service is; only what must differ is changed.
globals().update(
    (name, value)
    for name, value in runpy.run_path(os.environ["BENCH_SERVICE_CONFIG"]).items()
    if not name.startswith("__")
)
wsgi_app = os.environ["BENCH_WSGI_APP"]


def post_fork(server, worker):
    """The service's hook disposes the pools of the service's database, which these apps lack;
    the naive app has its own, but opens no connection before the fork."""
