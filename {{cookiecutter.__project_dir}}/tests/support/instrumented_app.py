"""The service exactly as gunicorn builds it, plus routes that only the tests call.

Environment switches select the broken variants the tests compare against:
TEST_STOCK_SESSIONS=1 uses stock Flask-Session, TEST_STOCK_ASYNC=1 Flask's own async_to_sync,
TEST_NAIVE_METRICS=1 answers /metrics from the worker's own registry, and
TEST_TOUCH_DB_AT_LOAD=1 opens a pooled connection while the app is preloaded in the
master, as module-level code in a real service might. The notes routes under /test/ are the
broken variants of the real ones: a change checked before it is written, and OFFSET pages.
TEST_CACHE_VARIANT and TEST_CACHE_FILL_SECONDS choose the shared cache (cache_variants.py),
and login_variants.py adds the login's broken variants.
"""

from __future__ import annotations

import gc
import logging
import os
import time

from flask import Flask, Response, current_app, jsonify, request, session
from flask_session.redis import RedisSessionInterface
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import event, select, text

from {{ cookiecutter.package_name }} import create_app, notes
from {{ cookiecutter.package_name }}.machinery.extensions import db
from {{ cookiecutter.package_name }}.machinery.preconditions import etag
from {{ cookiecutter.package_name }}.machinery.sessions import sessionless
from {{ cookiecutter.package_name }}.models import Note

from .cache_variants import instrument_cache
from .login_variants import instrument_logins

# Between a check and its write, a real route does some work (here, nothing but a wait):
# long enough that concurrent requests overlap there on every worker model.
CHECK_TO_WRITE_SECONDS = 0.05


def _remember_creating_process(_dbapi_connection, record) -> None:
    record.info["created_by_pid"] = os.getpid()


def slow_session_read():
    state = {"username": session.get("username"), "items": list(session.get("items", ()))}
    time.sleep(float(request.args.get("delay", "0.5")))
    return state


def slow_session_write():
    """Reads the session, works a while, then adds an item: a slow request that writes."""
    items = list(session.get("items", ()))
    time.sleep(float(request.args.get("delay", "0.5")))
    session["items"] = [*items, "written late"]
    return {"items": session["items"]}


@sessionless
def db_connection():
    connection = db.session.connection()
    backend = None
    if connection.dialect.name == "postgresql":
        backend = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    return {
        "pid": os.getpid(),
        "created_by_pid": connection.connection.info["created_by_pid"],
        "backend": backend,
    }


@sessionless
def slow_query():
    seconds = float(request.args.get("seconds", "1"))
    db.session.execute(text("SELECT pg_sleep(:seconds)"), {"seconds": seconds})
    return {"slept": seconds}


@sessionless
def held_connection():
    """A route of known capacity: it holds a database connection for `delay` seconds."""
    db.session.connection()
    time.sleep(float(request.args.get("delay", "0.5")))
    return {"pid": os.getpid()}


@sessionless
def worker_pid():
    time.sleep(float(request.args.get("delay", "0")))
    return {"pid": os.getpid(), "frozen_objects": gc.get_freeze_count()}


@sessionless
def log_lines():
    """Writes records as a request would: the app's logger, a library's, and an exception."""
    marker = request.args.get("marker", "")
    current_app.logger.info("app line %s", marker)
    logging.getLogger("some.library").warning("library line %s", marker)
    try:
        raise ValueError(f"handled {marker}")
    except ValueError:
        current_app.logger.exception("exception line %s", marker)
    return {"logged": marker}


@sessionless
def naive_metrics():
    """The broken variant: one worker's own registry, as a per-process setup would serve."""
    registry = current_app.extensions["metrics"].registry
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


@sessionless
def check_then_write_note(note_id: int):
    """PATCH /api/notes/<id> as it is often written: read the note, compare its version with
    If-Match in Python, then write whatever the version is by then."""
    note = db.session.get(Note, note_id)  # whoever wrote it: this route reads no session
    if note is None:
        return jsonify(error={"code": "not_found", "message": "No such note"}), 404
    if not request.if_match.contains(str(note.version)):
        return jsonify(error={"code": "precondition_failed", "message": "Stale"}), 412
    db.session.expunge(note)
    time.sleep(CHECK_TO_WRITE_SECONDS)
    changed = notes.change(note.author, note_id, notes.ANY_VERSION, request.get_json())
    response = jsonify(id=changed.id, body=changed.body, version=changed.version)
    response.headers["ETag"] = etag(changed.version)
    return response


@sessionless
def notes_by_offset():
    """GET /api/notes paged by OFFSET: rows deleted before the page move the rest back."""
    offset, limit = int(request.args["offset"]), int(request.args["limit"])
    query = select(Note.id).order_by(Note.created_at, Note.id).offset(offset).limit(limit)
    return {"ids": list(db.session.execute(query).scalars())}


def build() -> Flask:
    app = create_app({"APP_ENV": os.environ.get("APP_ENV", "production")})
    with app.app_context():
        event.listen(db.engine, "connect", _remember_creating_process)
    app.add_url_rule("/test/slow-session-read", view_func=slow_session_read)
    app.add_url_rule("/test/slow-session-write", view_func=slow_session_write, methods=["POST"])
    app.add_url_rule("/test/db-connection", view_func=db_connection)
    app.add_url_rule("/test/slow-query", view_func=slow_query)
    app.add_url_rule("/test/pid", view_func=worker_pid)
    app.add_url_rule("/test/held-connection", view_func=held_connection)
    app.add_url_rule("/test/log", view_func=log_lines)
    app.add_url_rule(
        "/test/notes/<int:note_id>/check-then-write",
        view_func=check_then_write_note,
        methods=["PATCH"],
    )
    app.add_url_rule("/test/notes-by-offset", view_func=notes_by_offset)

    instrument_cache(app)
    instrument_logins(app)
    if os.environ.get("TEST_STOCK_SESSIONS") == "1":
        app.session_interface = RedisSessionInterface(
            app,
            client=app.session_interface.client,
            key_prefix=app.config["APP_SETTINGS"].session_key_prefix,
        )
        settings = app.config["APP_SETTINGS"]
        app.session_interface.absolute_lifetime = settings.session_absolute_lifetime_seconds
    if os.environ.get("TEST_NAIVE_METRICS") == "1":
        app.view_functions["metrics.scrape"] = naive_metrics
    if os.environ.get("TEST_STOCK_ASYNC") == "1":
        app.async_to_sync = Flask.async_to_sync.__get__(app)
    if os.environ.get("TEST_TOUCH_DB_AT_LOAD") == "1":
        with app.app_context():
            db.session.execute(text("SELECT 1"))
            db.session.remove()
    return app


app = build()
