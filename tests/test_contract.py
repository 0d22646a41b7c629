"""The generated contract suite (schemathesis against the live server, from the service's
own /openapi.json) for the combinations whose whole suite test_generated_suites.py does not
run: with those, every combination is checked against its contract."""

from __future__ import annotations

import re

import pytest
from combinations import ALL_COMBINATIONS, SUITE_COMBINATIONS, bake_ok, combination_id, run

CONTRACT_ONLY = [answers for answers in ALL_COMBINATIONS if answers not in SUITE_COMBINATIONS]


@pytest.mark.generated_suite
@pytest.mark.parametrize("answers", CONTRACT_ONLY, ids=combination_id)
def test_schemathesis_finds_nothing_against_the_live_service(cookies, answers: dict) -> None:
    project = bake_ok(cookies, answers)
    output = run(
        [
            "uv",
            "run",
            "--locked",
            "--quiet",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/contract",
        ],
        project,
        timeout=900,
    )
    # Nothing may be skipped: the run must have checked the contract.
    assert re.search(r"^1 passed in ", output, re.MULTILINE), output
