"""Under gevent, Flask's stock async bridge fails once async requests overlap (a new event
loop per call, on greenlets sharing one OS thread); the same load passes on this service's
one-loop-per-worker bridge (test_fanout_under_gunicorn.py)."""

from ..support.live_server import start
from .test_fanout_under_gunicorn import CLIENTS, fanout_under_load


def test_flasks_stock_async_bridge_fails_under_gevent(live_settings: dict) -> None:
    with start(live_settings, "stock-async", TEST_STOCK_ASYNC="1") as stock:
        statuses, _ = fanout_under_load(stock)
    assert statuses[200] < CLIENTS, statuses
