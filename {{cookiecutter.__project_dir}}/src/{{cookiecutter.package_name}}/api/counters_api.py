"""Counters shared by every client: contended state belongs in the database.

The top list is the sample cached read: it reads and sorts the whole table, so every
worker and instance shares one computation of it per TOP_COUNTERS_TTL_SECONDS
(machinery/shared_cache.py says what that guarantees), and a delete is seen at once.
"""

from __future__ import annotations

from datetime import UTC, datetime

from apiflask import APIBlueprint
from flask import current_app
from pydantic import BaseModel, Field
from werkzeug.routing import BaseConverter

from .. import counters
from ..machinery.errors import APIError
from ..machinery.sessions import sessionless
from ..machinery.shared_cache import shared_cache

blueprint = APIBlueprint("counters_api", __name__, url_prefix="/api/counters", tag="Counters")
DATABASE_DOWN = "The database is unavailable"


TOP_COUNTERS = "top_counters"  # the cache's name: its keys and its cache_fills_total label


class CounterSegment(BaseConverter):
    """A counter's name in a path, never `top`, which is the list's. Without it the counter
    routes would match /api/counters/top too, and a request to it with their methods would
    be refused with a 422 instead of a 405 that allows only what the list does."""

    regex = r"(?!top$)[^/]+"


blueprint.record_once(lambda state: state.app.url_map.converters.update(counter=CounterSegment))
COUNTER_PATH = "/<counter:name>"


class CounterName(BaseModel):
    name: str = Field(pattern=r"^[a-z0-9_-]{1,64}$")


class CounterOut(BaseModel):
    name: str
    value: int


class TopQuery(BaseModel):
    limit: int = Field(10, ge=1, le=counters.TOP_LIMIT)


class TopCounters(BaseModel):
    counters: list[CounterOut]
    computed_at: datetime = Field(description="When the list was read from the database")


@blueprint.get("/top")
@sessionless
@blueprint.input(TopQuery, location="query", arg_name="query")
@blueprint.output(TopCounters)
@blueprint.doc(
    description="Cached: at most TOP_COUNTERS_TTL_SECONDS (default 2) plus one computation "
    "old, and a deleted counter is never listed once its DELETE is answered.",
    responses={503: DATABASE_DOWN},
)
def top(query: TopQuery):
    ttl = current_app.config["APP_SETTINGS"].top_counters_ttl_seconds
    cached = shared_cache().read(TOP_COUNTERS, counters.top, ttl)
    return {
        "counters": cached.value[: query.limit],
        "computed_at": datetime.fromtimestamp(cached.read_at, UTC),
    }


@blueprint.post(COUNTER_PATH)
@sessionless
@blueprint.input(CounterName, location="path", arg_name="path")
@blueprint.output(CounterOut)
@blueprint.doc(responses={503: DATABASE_DOWN})
def increment(name: str, path: CounterName):
    return {"name": path.name, "value": counters.increment(path.name)}


@blueprint.get(COUNTER_PATH)
@sessionless
@blueprint.input(CounterName, location="path", arg_name="path")
@blueprint.output(CounterOut)
@blueprint.doc(responses={404: "No such counter", 503: DATABASE_DOWN})
def show(name: str, path: CounterName):
    value = counters.current_value(path.name)
    if value is None:
        raise APIError(404, "not_found", f"No counter named {path.name!r}")
    return {"name": path.name, "value": value}


@blueprint.delete(COUNTER_PATH)
@sessionless
@blueprint.input(CounterName, location="path", arg_name="path")
@blueprint.output({}, status_code=204)
@blueprint.doc(responses={404: "No such counter", 503: DATABASE_DOWN})
def remove(name: str, path: CounterName):
    if not counters.remove(path.name):
        raise APIError(404, "not_found", f"No counter named {path.name!r}")
    shared_cache().invalidate(TOP_COUNTERS)  # after the delete committed
    return ""
