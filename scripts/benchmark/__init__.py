"""Load-tests a baked service under each worker model, against a bare ceiling and a naive app.

One run bakes a service per worker model (sync, gthread, gevent; PostgreSQL and the async
sample), serves each with its own gunicorn.conf.py, loads it with wrk from a second process,
and prints one table. Run it from the repository root:

    uv run python -m scripts.benchmark [--duration 10] [--warmup 2] [--connections 16] [--rounds 3]
        [--baseline REF] [--asgi] [--sweep PNG] [--overload]

Rows, per worker model:
- bare flask: a Flask app answering /healthz with a constant (apps/bare_app.py), the ceiling;
- naive mix: the mix's API written as Flask tutorials show it (apps/naive_app.py), stock
  Flask-Session and a read-modify-write counter, on the same Redis and database;
- healthz, mix and fanout: the service itself (wrk scripts in lua/). The mix is one
  logged-in user per connection reading its session, adding an item and incrementing a
  counter, and logging in again with its password every 50 cycles (its account signed up
  before the run: mix_users.py); fanout is an async view awaiting 10 sleeps of 50 ms;
  login is logins with the right password, one user per connection, and below the table
  is what one costs the workers' CPU beside healthz.
- top cached and top uncached: GET /api/counters/top?limit=10 over a table seeded with
  10,000 counters, served from the shared cache (the default TTL, 2 s) and, by a server
  started with TOP_COUNTERS_TTL_SECONDS=0, computed from the table every time; they take
  turns in rounds as the mixes do, and below the table is the cached over the uncached
  rate, round by round.
The bare and naive apps are served with the service's own gunicorn.conf.py (through
apps/variant.conf.py), and the run stops unless gunicorn resolves the same worker settings
for them as for the service.

The service's mix and the naive mix are measured in alternating rounds (--rounds, default
3) with both servers up, so that a drift of the shared machine's speed falls on both alike
(rounds.py); their rows add the rounds up.

With --baseline REF (a commit of this template), the template as it was at REF is baked too,
with the same answers and a database of its own, and its mix ("base mix") takes its turn in
every round beside the two others (baseline.py): below the table, the mix's rate over the
baseline's round by round, and what the change costs per request in the workers' CPU time.
The goal a change is held to is named in the README (the mix within 5% of its baseline).

With --asgi, the gthread service is also served by gunicorn's `asgi` worker through each
WSGI adapter worth trying (asgiref's, a2wsgi's; apps/asgi_adapters.py), and those servers take
turns with the gthread and gevent services on the mix and on fanout (asgi_worker.py): a table
of their own, and each adapter's rate over gthread's round by round, against the README's rule
for offering a worker model (within 10% of gthread or better).

With --sweep PNG, each model's service is then loaded with the mix and with fanout at 1, 4,
16, 64 and 256 connections (sweep.py): a table of requests/s and latency at each, and a
picture of requests/s and p99 against connections drawn into PNG with matplotlib.

With --overload, each model's service is offered a route of known cost (the async sample,
one 250 ms sleep) at 0.5, 1, 2 and 4 times its capacity, on a fixed schedule, through the
project's haproxy.cfg and, for gthread and sync, without it (overload.py): goodput, the
successes' and the refusals' latency, and how long the service takes to serve normally
after the 4x row. It needs haproxy (`apt-get install -y haproxy`).

Columns: "vs bare" is a row's requests/s over its model's bare ceiling; "vs naive" is the
median over the rounds of the service's mix over the naive mix in the same round, each
round's ratio printed below the table. "sock err" counts wrk's socket errors and timeouts.
"cpu us/req" is the workers' CPU time (user and system, from /proc) per request answered,
which unlike a rate does not depend on the load's concurrency (worker_cpu.py). The
memory columns are the largest seen across the row's workers: "worker peak MiB" is VmHWM,
"worker PSS MiB" and "worker USS MiB" a worker's own share (see memory.py). "worker pids" is
how many distinct workers served the row (more than --workers means gunicorn recycled some,
see max_requests).

Needs wrk (`apt-get install -y wrk`), psql, Redis on 127.0.0.1:6379 and PostgreSQL on
127.0.0.1:5432 (user postgres, trust authentication), as the template's tests do. Each run
uses its own database and session key prefixes, and removes them when it ends.
"""
