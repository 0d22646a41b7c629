"""The async sample: one request awaits many concurrent tasks.

Each request still occupies one worker thread or greenlet; what async buys here is
concurrency *inside* the request (N awaits overlap, so the request takes one delay, not N).
"""

import asyncio
import time

from apiflask import APIBlueprint
from pydantic import BaseModel, ConfigDict, Field

from ..machinery.sessions import sessionless

blueprint = APIBlueprint("fanout_api", __name__, url_prefix="/api/async", tag="Async")


class FanoutQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tasks: int = Field(10, ge=1, le=50)
    delay: float = Field(0.1, ge=0.0, le=2.0, description="Seconds each task waits")


class FanoutOut(BaseModel):
    tasks: int
    delay: float
    elapsed: float = Field(description="Seconds the request took: one delay, not tasks x delay")


@blueprint.get("/fanout")
@sessionless
@blueprint.input(FanoutQuery, location="query", arg_name="query")
@blueprint.output(FanoutOut)
async def fanout(query: FanoutQuery):
    started = time.perf_counter()
    await asyncio.gather(*(asyncio.sleep(query.delay) for _ in range(query.tasks)))
    elapsed = time.perf_counter() - started
    return {"tasks": query.tasks, "delay": query.delay, "elapsed": round(elapsed, 4)}
