"""PostgreSQL connections that the server ended are replaced before use, without a round trip.

SQLAlchemy's pool_pre_ping sends SELECT 1 on every checkout: one more round trip to the
database per request, which cost about a twentieth of the benchmark mix's CPU per request.
A connection the server ended while it sat idle in the pool (a restart or failover,
pg_terminate_backend, idle_session_timeout) has input waiting: the server's farewell
message, then the end of the stream. An idle connection has nothing else to read (the
service never LISTENs; a parameter the server reports after a reload is the rare
exception), so one with input waiting is replaced, which costs a reconnect at worst.

What this cannot see, SELECT 1 would not see quickly either: a peer gone without a word (a
host lost with its network) keeps the ping waiting on TCP as long as the query. A
connection that dies between this check and its query fails that request with a 503, and
SQLAlchemy then invalidates the whole pool, as after a failed ping.
"""

from __future__ import annotations

import select
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

from ..worker_models.gevent_state import unpatched


def has_input_waiting(dbapi_connection: Any) -> bool:
    # poll(), unlike select(), takes any descriptor number. gevent's patched poll() answers
    # only after a turn of its loop, even with a zero timeout; the original one, asked not to
    # wait, never blocks the worker.
    poller = unpatched("select", "poll")()
    poller.register(dbapi_connection.fileno(), select.POLLIN)
    return bool(poller.poll(0))  # POLLIN, or POLLHUP and POLLERR, which poll always reports


def _replace_if_ended(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    if has_input_waiting(dbapi_connection):
        # The pool discards this connection and checks out another, up to three times.
        raise DisconnectionError("the server ended this pooled connection")


def replace_stale_connections(engine: Engine) -> None:
    # Registered before any other checkout listener (the metrics' pool gauge): a connection
    # refused here is never counted as checked out.
    event.listen(engine, "checkout", _replace_if_ended)
