"""Prometheus metrics that are exact across gunicorn's worker processes.

A counter kept in one worker's memory is that worker's count, not the service's: a scrape
lands on one worker and reads its share. In prometheus_client's multiprocess mode every
worker writes its samples to files in PROMETHEUS_MULTIPROC_DIR (set up by gunicorn.conf.py
before anything imports the library) and a scrape sums them all; the counts of workers that
died stay in the sums, their live gauges leave them (gunicorn.conf.py's child_exit). Without
that directory (flask run, the tests' own app) the app's own registry is read instead.

The metric objects belong to the app (app.extensions), not to the module: no module global
holds state, and two apps in one process never register a metric twice.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from ipaddress import ip_address
from typing import Any

from apiflask import APIBlueprint
from flask import Flask, Response, abort, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import event

from .extensions import db
from .sessions import sessionless

SCRAPE_ENDPOINT = "metrics.scrape"
# Where the request leaves its endpoint for the middleware, which runs outside the request.
ENDPOINT_KEY = "service.endpoint"
# Clients choose the method: anything unusual is one label value, not a new series each.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
blueprint = APIBlueprint("metrics", __name__, tag="Health")


class ServiceMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "Requests answered, by method, endpoint and status (scrapes of /metrics excluded)",
            ["method", "endpoint", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time to produce an answer, by method and endpoint",
            ["method", "endpoint"],
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "http_requests_in_flight",
            "Requests being handled, summed over the live workers",
            multiprocess_mode="livesum",
            registry=self.registry,
        )
        self.db_connections = Gauge(
            "db_pool_connections_in_use",
            "Database connections checked out of the pools, summed over the live workers",
            multiprocess_mode="livesum",
            registry=self.registry,
        )
        self.cache_fills = Counter(
            "cache_fills",
            "Computations of a cached value (machinery/shared_cache.py), by cache",
            ["cache"],
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            every_worker = CollectorRegistry()
            MultiProcessCollector(every_worker)
            return generate_latest(every_worker)
        return generate_latest(self.registry)


class RequestMetrics:
    """WSGI middleware: counts and times every request the app answers, whatever answered it
    (a view, an error handler, a refused session), once the answer is ready, so that a client
    holding its answer finds it counted."""

    def __init__(self, wsgi_app: Callable, metrics: ServiceMetrics) -> None:
        self.wsgi_app = wsgi_app
        self.metrics = metrics

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        statuses = []

        def recording_start_response(status: str, headers: list, exc_info: Any = None):
            statuses.append(status.split(" ", 1)[0])
            return start_response(status, headers, exc_info)

        self.metrics.in_flight.inc()
        try:
            body = self.wsgi_app(environ, recording_start_response)
        finally:
            self.metrics.in_flight.dec()
        endpoint = environ.get(ENDPOINT_KEY, "none")
        if endpoint != SCRAPE_ENDPOINT:
            method = environ.get("REQUEST_METHOD", "")
            method = method if method in METHODS else "other"
            status = statuses[-1] if statuses else "none"
            self.metrics.requests.labels(method, endpoint, status).inc()
            self.metrics.duration.labels(method, endpoint).observe(time.perf_counter() - started)
        return body


def _may_scrape(address: str | None) -> bool:
    networks = current_app.config["APP_SETTINGS"].metrics_allowed_networks
    return address is not None and any(ip_address(address) in network for network in networks)


@blueprint.get("/metrics")
@sessionless
@blueprint.doc(
    responses={
        200: {
            "description": "Prometheus text format",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        404: "The client's address may not scrape",
    }
)
def scrape() -> Response:
    if not _may_scrape(request.remote_addr):
        abort(404)  # as if there were nothing here
    metrics: ServiceMetrics = current_app.extensions["metrics"]
    return Response(metrics.exposition(), mimetype=CONTENT_TYPE_LATEST)


def _remember_endpoint(_error: BaseException | None) -> None:
    """At teardown, which every request reaches: the rule Flask matched, or none (404)."""
    rule = request.url_rule
    request.environ[ENDPOINT_KEY] = rule.endpoint if rule is not None else "none"


def _count_pool_connections(app: Flask, gauge: Gauge) -> None:
    with app.app_context():
        for engine in db.engines.values():
            event.listen(engine, "checkout", lambda *_: gauge.inc())
            event.listen(engine, "checkin", lambda *_: gauge.dec())


def init_metrics(app: Flask) -> None:
    metrics = ServiceMetrics()
    app.extensions["metrics"] = metrics
    app.wsgi_app = RequestMetrics(app.wsgi_app, metrics)
    app.teardown_request(_remember_endpoint)
    _count_pool_connections(app, metrics.db_connections)
    app.register_blueprint(blueprint)
