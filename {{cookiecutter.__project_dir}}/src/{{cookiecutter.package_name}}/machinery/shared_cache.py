"""A cache every worker and instance shares, in the sessions' Redis, for reads worth caching.

What a cached read guarantees (proven under the real server in
tests/concurrency/test_shared_cache_under_gunicorn.py):

- One computation per expiry. dogpile.cache's Redis backend takes a Redis lock (held at
  most LOCK_TIMEOUT_SECONDS) around a computation, so one request computes while the
  others, in any worker or instance, do not. When there is no value yet, they wait for it:
  they have nothing else to answer with. When the value has only just expired, they are
  served the previous one at once, which is still within the staleness bound below,
  rather than queue behind the computation.
- Bounded staleness: a value is never served more than its TTL plus one computation after
  its data was read. dogpile dates a value from when it was stored, and serves an expired
  one while it is recomputed however long ago it expired (after an idle spell, the whole
  time the key lives in Redis). Here a value is dated from its read, and once it is older
  than its TTL plus the time its own computation took, it is no longer served: the
  requests wait for the new one instead (ReadDatedRegion).
- Invalidation a slow reader cannot undo. Each name has a generation number in Redis, and
  the value lives under a key that names it. invalidate() increments it after the write
  commits; a reader that read the data before the write stores its value under the old
  generation, where no later read looks. (A plain delete of the key loses that race: the
  slow reader stores the old value after the delete, and it lives on until it expires.)
- No outage. The cache is optional: while Redis cannot be reached the value is computed
  for each request instead, one log line marks the outage in each worker, and Redis is
  tried again at most once every RETRY_AFTER_OUTAGE_SECONDS, so a read waits for no
  timeout meanwhile. An invalidation that cannot reach Redis leaves the old value to its
  TTL: the write is still seen within the staleness bound.

Every computation counts in cache_fills_total{cache=name}. Values are stored as JSON, never
pickled: whoever can write to Redis must not be able to run code in the service.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from dogpile.cache import CacheRegion
from dogpile.cache.api import CachedValue, CantDeserializeException
from flask import Flask, current_app
from prometheus_client import Counter
from redis import Redis
from redis.exceptions import LockError, RedisError  # LockError is a RedisError

from .sessions import session_redis
from .settings import Settings

T = TypeVar("T")
# The longest a computation may hold the lock, and so the longest the others wait for one
# whose process died holding it. A computation still running then loses the lock and a
# second one may start: keep cached computations well under it.
LOCK_TIMEOUT_SECONDS = 5
# How often a request waiting for the lock asks again: a wait costs at most this much more
# than the computation itself, and one Redis command each time.
LOCK_POLL_SECONDS = 0.02
RETRY_AFTER_OUTAGE_SECONDS = 1.0


@dataclass(frozen=True)
class Cached(Generic[T]):
    value: T
    read_at: float  # seconds since the epoch, when the computation began to read its data


def _to_json(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def _from_json(data: bytes) -> dict:
    try:
        return json.loads(data)
    except ValueError:
        raise CantDeserializeException() from None  # treated as a miss, and recomputed


class ReadDatedRegion(CacheRegion):
    """A value dated from when its data was read, and served past its TTL for as long as
    its own computation took, no longer (the module docstring says why). _value is where
    dogpile builds the value it stores, _is_cache_miss where it decides a stored value is
    as good as none: hence the pinned minor version, and tests of both."""

    def _value(self, value: Any, metadata: Any = None) -> CachedValue:
        cached = super()._value(value, metadata)
        if metadata is None and isinstance(value, dict) and "read_at" in value:
            cached.metadata.update(ct=value["read_at"], took=value["took"])
        return cached

    def _is_cache_miss(self, value: Any, orig_key: Any) -> bool:
        if super()._is_cache_miss(value, orig_key):
            return True
        age = time.time() - value.metadata["ct"]
        return age > self.expiration_time + value.metadata.get("took", 0.0)


class RedisOutage:
    """This worker's view of whether Redis can be reached. A circuit breaker library
    (pybreaker) would do the same and more, but its state is per process too, and the two
    things wanted here, one line per outage and a pause between tries, are these lines."""

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger
        self._lock = threading.Lock()
        self._failed_at: float | None = None

    def worth_trying(self) -> bool:
        with self._lock:
            if self._failed_at is None:
                return True
            return time.monotonic() - self._failed_at >= RETRY_AFTER_OUTAGE_SECONDS

    def failed(self, error: Exception) -> None:
        with self._lock:
            began = self._failed_at is None
            self._failed_at = time.monotonic()
        if began:
            self._logger.warning(
                "shared cache: Redis is unreachable (%s); cached reads are computed "
                "for each request until it returns",
                error,
            )

    def succeeded(self) -> None:
        with self._lock:
            ended = self._failed_at is not None
            self._failed_at = None
        if ended:
            self._logger.info("shared cache: Redis is back; cached reads are shared again")


class SharedCache:
    """The app's cached reads: app.extensions["shared_cache"]. Without Redis (REDIS_URL
    unset) there is nothing to share, and every read is computed."""

    region_class: type[CacheRegion] = ReadDatedRegion

    def __init__(self, client: Redis | None, key_prefix: str, fills: Counter) -> None:
        self._client = client
        self._key_prefix = key_prefix
        self._fills = fills  # cache_fills_total, labelled by the cache's name
        self._outage = RedisOutage(logging.getLogger(__name__))
        self._regions_lock = threading.Lock()
        self._regions: dict[str, CacheRegion] = {}

    def read(self, name: str, compute: Callable[[], T], ttl: float) -> Cached[T]:
        """compute()'s value, as stored within the last `ttl` seconds (0: not cached).
        It must return JSON: lists, dicts, strings, numbers, booleans and None."""
        computed: list[Cached[T]] = []

        def fill() -> dict:
            read_at = time.time()
            value = compute()
            self._fills.labels(name).inc()
            computed.append(Cached(value, read_at))
            return {"read_at": read_at, "took": time.time() - read_at, "value": value}

        if self._client is None or ttl <= 0 or not self._outage.worth_trying():
            fill()
            return computed[0]
        try:
            payload = self._stored_or_filled(name, fill, ttl)
            self._outage.succeeded()
        except RedisError as error:
            return self._without_redis(error, computed, fill)
        return Cached(payload["value"], payload["read_at"])

    def _without_redis(
        self, error: RedisError, computed: list[Cached[T]], fill: Callable[[], dict]
    ) -> Cached[T]:
        # A lock lost to its timeout (LockError) is no outage: the value was computed.
        if not isinstance(error, LockError):
            self._outage.failed(error)
        if not computed:
            fill()
        return computed[-1]

    def invalidate(self, name: str) -> None:
        """Call after the write that changes the value has committed (see the module
        docstring). Redis unreachable: the value expires with its TTL instead."""
        if self._client is None:
            return
        try:
            self._client.incr(self._generation_key(name))
        except RedisError as error:
            self._outage.failed(error)

    def _stored_or_filled(self, name: str, fill: Callable[[], dict], ttl: float) -> dict:
        generation = int(self._client.get(self._generation_key(name)) or 0)
        key = f"{self._key_prefix}{name}:{generation}"
        return self._region(name, ttl).get_or_create(key, fill)

    def _generation_key(self, name: str) -> str:
        return f"{self._key_prefix}{name}:generation"

    def _region(self, name: str, ttl: float) -> CacheRegion:
        with self._regions_lock:
            region = self._regions.get(name)
            if region is None:
                region = self._regions[name] = self._new_region(ttl)
            return region

    def _new_region(self, ttl: float) -> CacheRegion:
        region = self.region_class(serializer=_to_json, deserializer=_from_json)
        return region.configure(
            "dogpile.cache.redis",
            expiration_time=ttl,
            arguments={
                "connection_pool": self._client.connection_pool,
                "distributed_lock": True,
                "thread_local_lock": False,  # a lock taken by one greenlet or thread
                "lock_timeout": LOCK_TIMEOUT_SECONDS,
                "lock_sleep": LOCK_POLL_SECONDS,
                # Long enough to serve an expired value while it is recomputed; then Redis
                # drops it, and the keys of old generations with it.
                "redis_expiration_time": math.ceil(ttl) + LOCK_TIMEOUT_SECONDS,
            },
        )


def init_shared_cache(app: Flask, settings: Settings) -> None:
    """After init_sessions and init_metrics: the cache uses the sessions' Redis client and
    counts in the app's metrics."""
    fills = app.extensions["metrics"].cache_fills
    app.extensions["shared_cache"] = SharedCache(
        session_redis(app), settings.cache_key_prefix, fills
    )


def shared_cache() -> SharedCache:
    return current_app.extensions["shared_cache"]
