"""Liveness (the process answers) and readiness (its dependencies answer)."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait

from apiflask import APIBlueprint
from flask import Response, current_app, jsonify
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.engine import Engine

from .extensions import db
from .sessions import sessionless

READINESS_DEADLINE_SECONDS = 1.5
blueprint = APIBlueprint("health", __name__, tag="Health")


class Alive(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    checks: dict[str, str]


def _ping_database(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _run_checks(checks: dict[str, Callable[[], None]]) -> dict[str, str]:
    """Run every check at once and give up on any still running at the deadline.

    A hung dependency must not hang the probe: a load balancer needs an answer in time.
    The executor is not joined, so a stuck check finishes (or times out) on its own.
    """
    executor = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="readyz")
    futures = {name: executor.submit(check) for name, check in checks.items()}
    wait(futures.values(), timeout=READINESS_DEADLINE_SECONDS)
    executor.shutdown(wait=False, cancel_futures=True)
    results = {}
    for name, future in futures.items():
        if not future.done():
            results[name] = "timeout"
        elif future.exception() is not None:
            results[name] = "error"
        else:
            results[name] = "ok"
    return results


@blueprint.get("/healthz")
@sessionless
@blueprint.output(Alive)
def healthz():
    return {"status": "ok"}


def _draining() -> bool:
    """Asked to stop: gunicorn.conf.py raises this flag for GUNICORN_DRAIN_SECONDS first."""
    flag = current_app.config["APP_SETTINGS"].drain_flag_file
    return flag is not None and os.path.exists(flag)


def _not_ready(status: str, code: str, message: str, **details: object) -> Response:
    response = jsonify(status=status, **details, error={"code": code, "message": message})
    response.status_code = 503
    response.headers["Retry-After"] = "1"
    return response


@blueprint.get("/readyz")
@sessionless
@blueprint.output(Ready)
@blueprint.doc(responses={503: "Draining, or a dependency does not answer"})
def readyz():
    if _draining():
        # Still serving, but asking for no new traffic: a load balancer takes it out.
        return _not_ready("draining", "draining", "Stopping: finishing the requests in flight")
    checks = {
        "database": lambda engine=db.engine: _ping_database(engine),
        "redis": current_app.session_interface.ping,
    }
    results = _run_checks(checks)
    if all(result == "ok" for result in results.values()):
        return {"status": "ok", "checks": results}
    failing = ", ".join(name for name, result in results.items() if result != "ok")
    return _not_ready("unavailable", "not_ready", f"Failing checks: {failing}", checks=results)
