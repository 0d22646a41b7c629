"""Asked to stop (SIGTERM) with GUNICORN_DRAIN_SECONDS set, the server reports not-ready at
once while it keeps serving, so that a load balancer takes it out before it stops accepting;
then it stops gracefully, with status 0. The same holds when every process of the service is
signalled at once (systemd's default, `kill -TERM -<pgid>`), not only the master: without the
workers' own drain (server/draining.py), requests sent during the drain are not served."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
import requests

from ..support.live_server import LiveServer, broken_config, start

DRAIN_SECONDS = 2
# A worker that gunicorn's own handler stops notices within a second of its loop's tick,
# later on a loaded machine: the broken variant drains long enough for that to show.
BROKEN_DRAIN_SECONDS = 5
WORKER_DRAIN = "drain_worker_before_stop(worker, drain_seconds, flag)"


def signal_master(live: LiveServer) -> None:
    live.process.send_signal(signal.SIGTERM)


def signal_every_process(live: LiveServer) -> None:
    live.wait_until_every_worker_answers()
    for pid in [live.process.pid, *live.worker_pids()]:
        os.kill(pid, signal.SIGTERM)


def answers_during_drain(
    live: LiveServer, asked: float, drain_seconds: float = DRAIN_SECONDS
) -> list[int | None]:
    """Each request's status, or None for one not answered in time, until just before the
    drain ends. Past the drain, a request that waits in the listening socket is not being
    served."""
    answers = []
    while time.monotonic() - asked < drain_seconds - 0.5:
        try:
            response = requests.post(live.url("/api/counters/draining"), timeout=drain_seconds + 1)
            answers.append(response.status_code)
        except requests.RequestException:
            answers.append(None)
    return answers


@pytest.mark.parametrize("send_term", [signal_master, signal_every_process])
def test_sigterm_reports_not_ready_first_and_keeps_serving_while_draining(
    live_settings, send_term
) -> None:
    with start(live_settings, "drain", GUNICORN_DRAIN_SECONDS=str(DRAIN_SECONDS)) as live:
        assert requests.get(live.url("/readyz"), timeout=5).status_code == 200
        send_term(live)
        asked = time.monotonic()
        readiness = requests.get(live.url("/readyz"), timeout=5)
        while readiness.status_code == 200 and time.monotonic() - asked < 0.5:
            readiness = requests.get(live.url("/readyz"), timeout=5)
        assert readiness.status_code == 503
        assert readiness.json()["status"] == "draining" and readiness.headers["Retry-After"]
        served = answers_during_drain(live, asked)
        assert served and set(served) == {200}
        assert live.process.wait(30) == 0
        assert time.monotonic() - asked >= DRAIN_SECONDS
    assert [record for record in live.records() if "exception" in record] == []
    answers = {(r["path"], r["status"]) for r in live.access_records() if r["status"] >= 500}
    assert answers <= {("/readyz", 503)}
    assert any(r["message"].startswith("Draining for") for r in live.records())


def test_without_the_workers_drain_a_signal_to_every_process_leaves_requests_unserved(
    live_settings, tmp_path: Path
) -> None:
    """The broken variant: each worker stops taking connections the moment it is signalled,
    while the master drains and replaces none of them."""
    config = broken_config(tmp_path, lines=(WORKER_DRAIN,))
    settings = {"GUNICORN_DRAIN_SECONDS": str(BROKEN_DRAIN_SECONDS)}
    with start(live_settings, "drain-broken", config=config, **settings) as live:
        signal_every_process(live)
        served = answers_during_drain(live, time.monotonic(), BROKEN_DRAIN_SECONDS)
        live.process.wait(30)
    assert None in served, served
