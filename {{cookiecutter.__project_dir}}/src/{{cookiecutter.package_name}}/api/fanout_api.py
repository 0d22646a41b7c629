"""The async sample: one request awaits many concurrent tasks.

Each request still occupies one worker thread or greenlet; what async buys here is
concurrency *inside* the request (N awaits overlap, so the request takes one delay, not N).
"""

import asyncio
import time

from flask import Blueprint

from ..machinery.sessions import sessionless
from ..machinery.validation import query_number

MAX_TASKS = 50
MAX_DELAY_SECONDS = 2.0
blueprint = Blueprint("fanout_api", __name__, url_prefix="/api/async")


@blueprint.get("/fanout")
@sessionless
async def fanout():
    tasks = query_number("tasks", 10, 1, MAX_TASKS, kind=int)
    delay = query_number("delay", 0.1, 0.0, MAX_DELAY_SECONDS)
    started = time.perf_counter()
    await asyncio.gather(*(asyncio.sleep(delay) for _ in range(tasks)))
    elapsed = time.perf_counter() - started
    return {"tasks": tasks, "delay": delay, "elapsed": round(elapsed, 4)}
