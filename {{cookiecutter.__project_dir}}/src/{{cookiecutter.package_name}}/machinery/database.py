"""Engine options per database and worker model, and the SQLite settings that make it safe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from ..worker_models.gevent_state import gevent_is_active
from .connection_admission import AdmittingQueuePool
from .extensions import db
from .settings import Settings
from .stale_connections import replace_stale_connections


def database_url(settings: Settings, instance_path: str, package: str) -> str:
    if settings.database_url:
        return settings.database_url
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(instance_path) / package}.sqlite3"


def engine_options(url: str, settings: Settings) -> dict[str, Any]:
    # No pool_pre_ping: its round trip per checkout is replaced by a local check on
    # PostgreSQL (stale_connections.py); SQLite has no connection for a server to end.
    options: dict[str, Any] = {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout,
        # Waits past half the timeout refused at once, the rest bounded by it.
        "poolclass": AdmittingQueuePool,
    }
    if url.startswith("sqlite"):
        options["connect_args"] = {
            # sqlite3's timeout is SQLite's busy timeout: writers wait instead of failing.
            "timeout": settings.sqlite_busy_timeout,
            "check_same_thread": False,
        }
        if gevent_is_active():
            # SQLite calls block the whole gevent worker. With one connection per worker a
            # greenlet waits for the pool (cooperatively) instead of spinning in SQLite's
            # busy handler while the greenlet holding the write lock cannot run.
            options.update(pool_size=1, max_overflow=0)
    else:
        options["pool_recycle"] = 1800
        options["connect_args"] = {"connect_timeout": 3, "application_name": "flask-service"}
    return options


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run while one writer writes; other processes' writers then queue on
    # the busy timeout instead of failing with "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def init_database(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            replace_stale_connections(engine)


def dispose_inherited_pools(app: Flask) -> None:
    """Called in each forked worker: drop the parent's connections without closing them.

    close=False leaves the sockets to the parent (closing them would end its sessions);
    the worker then opens its own connections on first use.
    """
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
