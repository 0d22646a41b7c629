"""gunicorn settings for this service: run `gunicorn` from the project root.

Every number can be overridden from the environment; the defaults are sized from the CPUs
this process may actually use (container quota and affinity), not the host's count.
"""

WORKER_MODEL = "{{ cookiecutter.worker_model }}"
SERVICE = "{{ cookiecutter.project_slug }}"

if WORKER_MODEL == "gevent":
    # Patch before anything imports socket or psycopg, that is, before the app is preloaded
    # below: psycopg picks its wait function at import, and an unpatched one blocks the
    # whole worker on every query.
    from gevent import monkey

    monkey.patch_all()

import atexit  # noqa: E402
import gc  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402


def usable_cpus(cgroup: Path = Path("/sys/fs/cgroup")) -> int:
    """CPUs this process may use: the container's CPU quota if set, else the affinity mask."""
    count = len(os.sched_getaffinity(0))
    quota_files = (
        (cgroup / "cpu.max", None),  # cgroup v2: "<quota> <period>" or "max <period>"
        (cgroup / "cpu" / "cpu.cfs_quota_us", cgroup / "cpu" / "cpu.cfs_period_us"),  # v1
    )
    for quota_path, period_path in quota_files:
        try:
            if period_path is None:
                quota, period = quota_path.read_text().split()[:2]
            else:
                quota, period = quota_path.read_text(), period_path.read_text()
            if quota.strip() not in ("max", "-1"):
                count = min(count, max(1, math.ceil(int(quota) / int(period))))
            break
        except (OSError, ValueError):
            continue
    return count


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        # One line naming the variable stops the start, instead of a traceback of this file.
        raise SystemExit(f"{name} must be a whole number, not {value!r}") from None


cpus = usable_cpus()

# --- Workers ---------------------------------------------------------------------------
# gthread: gunicorn's threaded worker, made to leave new connections to a worker with a
# thread free, so that connections that arrive together spread over the workers
# (worker_models/balanced_threads.py), and to bound the requests waiting for a thread
# (worker_models/bounded_threads.py).
# sync and gevent: gunicorn's workers, made to refuse a request that waited past the
# queue's budget instead of running it late (worker_models/bounded_sync.py,
# bounded_gevent.py).
worker_class = {
    "gthread": "{{ cookiecutter.package_name }}.worker_models.bounded_threads.BoundedThreadWorker",
    "sync": "{{ cookiecutter.package_name }}.worker_models.bounded_sync.BoundedSyncWorker",
    "gevent": "{{ cookiecutter.package_name }}.worker_models.bounded_gevent.BoundedGeventWorker",
}[WORKER_MODEL]
# sync: one request per process, so 2 x CPUs + 1 keeps CPUs busy while some wait on I/O.
# gthread and gevent: concurrency comes from threads or greenlets; one process per CPU.
workers = env_int("WEB_CONCURRENCY", 2 * cpus + 1 if WORKER_MODEL == "sync" else max(2, cpus))
# gthread: requests in flight per worker (a sync worker with threads > 1 becomes gthread).
threads = env_int("GUNICORN_THREADS", 4) if WORKER_MODEL == "gthread" else 1
if WORKER_MODEL == "gthread":
    # How long a worker with every thread busy leaves new connections to the others after
    # taking one (worker_models/balanced_threads.py). Read here, so that a bad value stops
    # the start.
    os.environ["GUNICORN_BUSY_PAUSE_MS"] = str(env_int("GUNICORN_BUSY_PAUSE_MS", 50))
# Past capacity: how long a request may wait, listen queue included, before a worker
# answers 503 `overloaded` instead (worker_models/bounded_*.py).
queue_budget_ms = env_int("GUNICORN_QUEUE_BUDGET_MS", 1000)
os.environ["GUNICORN_QUEUE_BUDGET_MS"] = str(queue_budget_ms)
# gevent: open connections per worker; the database pool, not this, bounds DB concurrency.
worker_connections = env_int("GUNICORN_WORKER_CONNECTIONS", 200)
requests_per_worker = {"sync": 1, "gthread": threads, "gevent": worker_connections}[WORKER_MODEL]

# --- What the app is told (read by the service's settings) -----------------------------
os.environ.setdefault("APP_ENV", "production")
# The database pool must cover one worker's concurrent requests; under gevent it is the
# limit on concurrent queries and the rest wait for a connection (DB_POOL_TIMEOUT).
os.environ.setdefault("DB_POOL_SIZE", str(min(requests_per_worker, 10)))
# ... for at most the queue's budget; past capacity it is refused, at once when its wait is
# foreseen to be long (machinery/connection_admission.py).
os.environ.setdefault("DB_POOL_TIMEOUT", str(queue_budget_ms / 1000))
os.environ.setdefault("REDIS_MAX_CONNECTIONS", str(min(requests_per_worker, 50)))


# --- This server's own directory: the workers' metrics files and the draining flag ---------
# Nothing of the service is imported here (gunicorn loads it later, by name), so nothing
# imports prometheus_client before this directory is in the environment.
def own_runtime_directory() -> str:
    """This server's own: metrics start from zero at each start, and two servers on one host
    never mix. An explicit PROMETHEUS_MULTIPROC_DIR is emptied; else a fresh directory on the
    RAM disk is made, and removed when the master exits."""
    explicit = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if explicit:
        Path(explicit).mkdir(parents=True, exist_ok=True)
        for leftover in Path(explicit).iterdir():
            leftover.unlink()
        return explicit
    base = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()  # noqa: S108
    made = tempfile.mkdtemp(prefix=f"{SERVICE}-", dir=base)
    master = os.getpid()
    # Workers inherit atexit handlers when forked: only the master removes the directory.
    atexit.register(lambda: os.getpid() == master and shutil.rmtree(made, ignore_errors=True))
    return made


# prometheus_client decides when first imported whether it keeps values in memory or in this
# directory. A configuration reload (SIGHUP) reads this file again in the same master, which
# keeps its directory.
if os.environ.get("RUNTIME_DIRECTORY_OWNER") != str(os.getpid()):
    runtime_directory = own_runtime_directory()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = runtime_directory
    os.environ["DRAIN_FLAG_FILE"] = os.path.join(runtime_directory, "draining")
    os.environ["RUNTIME_DIRECTORY_OWNER"] = str(os.getpid())

# --- Serving -----------------------------------------------------------------------------
wsgi_app = "{{ cookiecutter.package_name }}.server.wsgi:app"
# All interfaces by default: the service runs in a container or behind a proxy.
bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# A heartbeat: a worker silent this long is killed. For gthread and gevent it does not
# bound one request; put request deadlines in the code that waits.
timeout = env_int("GUNICORN_TIMEOUT", 30)
# On SIGTERM, in-flight requests get this long to finish before workers are killed.
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Keep idle client connections open a little; set above a load balancer's idle timeout.
keepalive = env_int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so slow leaks cannot grow forever; jitter avoids all
# workers restarting at once. Not too often: a fresh worker reopens its pools, and at
# 2000 requests a busy worker was replaced every second or two in the benchmark.
max_requests = env_int("GUNICORN_MAX_REQUESTS", 20000)
max_requests_jitter = env_int("GUNICORN_MAX_REQUESTS_JITTER", 2000)
# Build the app once in the master and fork it: workers share its memory and a broken
# configuration stops the start once, with one message, instead of in every worker.
preload_app = True
# gunicorn's own trust in X-Forwarded-Proto: off, so that a client cannot claim https.
# Behind proxies the app reads the forwarded headers, as far as TRUSTED_PROXY_HOPS allows.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "")
# SIGTERM first reports not-ready this long while still serving (see when_ready), so that
# a load balancer's health checks take the server out before it stops accepting.
drain_seconds = env_int("GUNICORN_DRAIN_SECONDS", 0)
# Heartbeat files on a RAM disk: a disk-backed /tmp can stall workers under I/O load.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 (not a temp file)
# The control socket defaults to one path per user; two services run by one user would
# take each other's. Off unless a path is given for this service alone.
control_socket_disable = "GUNICORN_CONTROL_SOCKET" not in os.environ
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]

# --- Logs: gunicorn's, the app's and the libraries', one format, stdout ----------------
# (machinery/log_config.py)
logger_class = "{{ cookiecutter.package_name }}.server.gunicorn_integration.ServiceLogger"
accesslog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Used by LOG_FORMAT=text only; JSON access lines are built from the request's fields.
# Only the atoms of server/gunicorn_integration.access_atoms are filled; any other logs "-".
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'


def on_starting(server):
    """Requests gunicorn refuses itself get the service's JSON error, not an HTML page."""
    import gunicorn.util

    from {{ cookiecutter.package_name }}.server.gunicorn_integration import write_json_error

    gunicorn.util.write_error = write_json_error


def when_ready(server):
    """With GUNICORN_DRAIN_SECONDS, SIGTERM raises the draining flag (/readyz answers 503),
    keeps serving that long, then stops gracefully as usual (server/draining.py)."""
    if drain_seconds > 0:
        from {{ cookiecutter.package_name }}.server.draining import drain_master_before_stop

        flag = Path(os.environ["DRAIN_FLAG_FILE"])
        drain_master_before_stop(server, drain_seconds, flag)


def post_worker_init(worker):
    """A worker sent SIGTERM itself (systemd's default, `kill -TERM -<pgid>`) keeps serving
    until the master's drain has run, instead of leaving connections unserved meanwhile."""
    if drain_seconds > 0:
        from {{ cookiecutter.package_name }}.server.draining import drain_worker_before_stop

        flag = Path(os.environ["DRAIN_FLAG_FILE"])
        drain_worker_before_stop(worker, drain_seconds, flag)


def pre_fork(server, worker):
    """Hides what the master built (the preloaded app and its imports) from the garbage
    collector before each fork: a collection in a worker writes to every object it visits,
    which copies the pages it shares with the master. Measured under the benchmark's mix:
    a worker's own memory (USS) 47 MiB without, 22 MiB with."""
    gc.freeze()


def post_fork(server, worker):
    """Each worker drops the database connections it inherited from the master."""
    from {{ cookiecutter.package_name }}.machinery.database import dispose_inherited_pools

    dispose_inherited_pools(worker.app.wsgi())


if WORKER_MODEL == "gevent":
    from gevent import sleep as gevent_sleep

    def post_request(worker, req, environ, resp):
        """Each answered request lets the worker's other connections have a turn. A
        keep-alive client whose next request is already waiting would otherwise be served
        again at once, and again: reading it does not block, so gevent never switches, and
        the other connections wait. Measured on /healthz at 16 connections: p99 250 ms
        against a p50 of 0.8 ms without this; 22 ms against 4 ms with it."""
        gevent_sleep(0)


def child_exit(server, worker):
    """A dead worker's live gauges leave the sums; its counters stay in them, as they should."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
