"""Asked to stop (SIGTERM) with GUNICORN_DRAIN_SECONDS set, the server reports not-ready at
once while it keeps serving, so that a load balancer takes it out before it stops accepting;
then it stops gracefully, with status 0."""

from __future__ import annotations

import signal
import time

import requests

from ..support.live_server import start

DRAIN_SECONDS = 2


def test_sigterm_reports_not_ready_first_and_keeps_serving_while_draining(live_settings) -> None:
    with start(live_settings, "drain", GUNICORN_DRAIN_SECONDS=str(DRAIN_SECONDS)) as live:
        assert requests.get(live.url("/readyz"), timeout=5).status_code == 200
        live.process.send_signal(signal.SIGTERM)
        asked = time.monotonic()
        readiness = requests.get(live.url("/readyz"), timeout=5)
        while readiness.status_code == 200 and time.monotonic() - asked < 0.5:
            readiness = requests.get(live.url("/readyz"), timeout=5)
        assert readiness.status_code == 503
        assert readiness.json()["status"] == "draining" and readiness.headers["Retry-After"]
        served = []
        while time.monotonic() - asked < DRAIN_SECONDS - 0.5:
            served.append(requests.post(live.url("/api/counters/draining"), timeout=5).status_code)
        assert served and set(served) == {200}
        assert live.process.wait(30) == 0
        assert time.monotonic() - asked >= DRAIN_SECONDS
    assert [record for record in live.records() if "exception" in record] == []
    answers = {(r["path"], r["status"]) for r in live.access_records() if r["status"] >= 500}
    assert answers <= {("/readyz", 503)}
    assert any(r["message"].startswith("Draining for") for r in live.records())
