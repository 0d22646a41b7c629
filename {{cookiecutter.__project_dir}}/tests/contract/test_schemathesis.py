"""schemathesis against the real server, from the document the server publishes.

It generates valid and invalid requests for every operation (from the examples, the
coverage of each constraint's edges, and random fuzzing), runs every check it has on every
answer, and follows the document's links in stateful runs (create a note, then read, change
and delete it). The settings it needs for this API are in schemathesis.toml, each with its
reason. Deterministic (no seed-dependent search, no example database) and bounded by the
number of examples per operation.

Run through its command line, which runs every phase, stateful included, in one call and
prints each failure with a curl command that reproduces it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ..support.live_server import PROJECT_ROOT, start

EXAMPLES_PER_OPERATION = "20"
SCHEMATHESIS = str(Path(sys.executable).with_name("st"))


def test_schemathesis_finds_nothing(live_settings: dict) -> None:
    # The service itself (not the instrumented app), with its document served as production
    # would serve it when API_DOCS is on.
    # Failed logins are what schemathesis sends most of: a throttle out of its way, so that
    # every case is judged by what the route does, not by a 429.
    no_throttle = {
        "LOGIN_ACCOUNT_LIMIT": "1000000 per minute",
        "LOGIN_ADDRESS_LIMIT": "1000000 per minute",
    }
    with start(live_settings, "contract", app=None, API_DOCS="true", **no_throttle) as live:
        result = subprocess.run(
            [
                SCHEMATHESIS, "run", live.url("/openapi.json"),
                "--checks", "all",
                "--phases", "examples,coverage,fuzzing,stateful",
                "--generation-deterministic",
                "--max-examples", EXAMPLES_PER_OPERATION,
                "--request-timeout", "10",
                "--no-color",
            ],
            cwd=PROJECT_ROOT,  # where schemathesis.toml is
            env={
                **os.environ,
                "SCHEMATHESIS_HOOKS": "tests.contract.schemathesis_hooks",
                "CONTRACT_BASE_URL": live.url(""),
            },
            capture_output=True,
            text=True,
            timeout=600,
        )  # fmt: skip
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert "Test cases:" in output and " passed" in output, output
    live.assert_clean_log()
