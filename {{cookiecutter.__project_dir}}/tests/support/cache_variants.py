"""The shared cache's broken variants, slow computations to race them, and the count of
computations a live server made, for the live tests.

The instrumented app (instrumented_app.py) puts one of these in place of the real cache when
TEST_CACHE_VARIANT names it, and makes every computation TEST_CACHE_FILL_SECONDS longer:
long enough for concurrent requests to overlap inside it on every worker model.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from typing import TypeVar

import requests
from dogpile.cache import CacheRegion
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families
from redis.exceptions import RedisError

from {{ cookiecutter.package_name }}.machinery.sessions import session_redis
from {{ cookiecutter.package_name }}.machinery.shared_cache import Cached, SharedCache

from .live_server import LiveServer

T = TypeVar("T")


class PlainMemoize(SharedCache):
    """What a cache decorator does: look, and on a miss compute and store. Every request
    that misses at once computes."""

    def read(self, name: str, compute: Callable[[], T], ttl: float) -> Cached[T]:
        key = f"{self._key_prefix}{name}:plain"
        stored = self._client.get(key)
        if stored is not None:
            payload = json.loads(stored)
            return Cached(payload["value"], payload["read_at"])
        read_at = time.time()
        value = compute()
        self._fills.labels(name).inc()
        payload = {"read_at": read_at, "value": value}
        self._client.set(key, json.dumps(payload), ex=math.ceil(ttl))
        return Cached(value, read_at)


class DeleteOnWrite(SharedCache):
    """The same lock, but one key per name that a write deletes: a reader that read the
    table before the write stores its old value after the delete."""

    def _stored_or_filled(self, name: str, fill: Callable[[], dict], ttl: float) -> dict:
        return self._region(name, ttl).get_or_create(f"{self._key_prefix}{name}:only", fill)

    def invalidate(self, name: str) -> None:
        self._client.delete(f"{self._key_prefix}{name}:only")


class CacheRequired(SharedCache):
    """A cache that is not optional: Redis unreachable, the read fails (a 503)."""

    def _without_redis(self, error: RedisError, computed, fill) -> Cached:
        raise error


class StockDogpile(SharedCache):
    """dogpile's own region: a value dated from when it was stored, a computation after its
    data was read, and served while it is recomputed however long ago it expired."""

    region_class = CacheRegion


VARIANTS = {
    "shared": SharedCache,
    "plain-memoize": PlainMemoize,
    "delete-on-write": DeleteOnWrite,
    "required": CacheRequired,
    "stock-dogpile": StockDogpile,
}


def slowed(compute: Callable[[], T], seconds: float) -> Callable[[], T]:
    """compute, then a wait: the data is read first, as a slow aggregate would read it."""

    def slow_compute() -> T:
        value = compute()
        time.sleep(seconds)
        return value

    return slow_compute


def instrument_cache(app: Flask) -> None:
    variant = VARIANTS[os.environ.get("TEST_CACHE_VARIANT", "shared")]
    fill_seconds = float(os.environ.get("TEST_CACHE_FILL_SECONDS", "0"))

    class InstrumentedCache(variant):
        def read(self, name: str, compute: Callable[[], T], ttl: float) -> Cached[T]:
            return super().read(name, slowed(compute, fill_seconds), ttl)

    settings = app.config["APP_SETTINGS"]
    app.extensions["shared_cache"] = InstrumentedCache(
        session_redis(app), settings.cache_key_prefix, app.extensions["metrics"].cache_fills
    )


def cache_fills(live: LiveServer, cache: str = "top_counters") -> float:
    """cache_fills_total for `cache`, summed over the server's workers by its /metrics."""
    response = requests.get(live.url("/metrics"), timeout=10)
    assert response.status_code == 200, response.text
    return sum(
        sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if sample.name == "cache_fills_total" and sample.labels["cache"] == cache
    )
