"""The generated project's own suite passes in its own environment, built from its own
declared dependencies, for a set of combinations covering every value of every option."""

from __future__ import annotations

import re

import pytest
from combinations import SUITE_COMBINATIONS, bake_ok, combination_id, run


@pytest.mark.parametrize("answers", SUITE_COMBINATIONS, ids=combination_id)
def test_the_generated_suite_passes(cookies, answers: dict) -> None:
    project = bake_ok(cookies, answers)
    run(["uv", "sync", "--locked", "--quiet"], project)
    output = run(
        ["uv", "run", "--locked", "pytest", "-q", "-rs", "-p", "no:cacheprovider"],
        project,
        timeout=1200,
    )
    summary = output.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary), output
    # Nothing may be skipped: a missing Redis or database must fail, not hide.
    assert "skipped" not in summary and "xfail" not in summary, output
