"""The generated project's own CI passes here: every step of its GitHub workflow that runs a
command (install from its lock file, lint, format, migrations against the models, the whole
test suite) is run in its own environment, for a set of combinations covering every value of
every option. The workflow's machine set-up (installing the redis-server binary) is not run:
this machine has it."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from combinations import SUITE_COMBINATIONS, bake_ok, combination_id, run
from local_services import temporary_postgres_database

RUNNER_SHELL = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]  # GitHub's `bash`


def workflow_commands(project: Path) -> list[dict]:
    workflow = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())
    [job] = workflow["jobs"].values()
    return [step for step in job["steps"] if "run" in step and "sudo " not in step["run"]]


@contextlib.contextmanager
def step_environment(step: dict) -> Iterator[dict[str, str]]:
    """The step's env; the database the workflow's fresh service container would hold is a
    fresh database of this test's own here."""
    env = {name: str(value) for name, value in step.get("env", {}).items()}
    if env.get("DATABASE_URL", "").startswith("postgresql"):
        with temporary_postgres_database("workflow") as url:
            yield {**env, "DATABASE_URL": url}
    else:
        yield env


@pytest.mark.generated_suite
@pytest.mark.parametrize("answers", SUITE_COMBINATIONS, ids=combination_id)
def test_the_generated_ci_passes(cookies, answers: dict) -> None:
    project = bake_ok(cookies, answers)
    steps = workflow_commands(project)
    assert [step["run"].split()[:4] for step in steps][-1] == ["uv", "run", "--locked", "pytest"]
    for step in steps:
        with step_environment(step) as env:
            output = run([*RUNNER_SHELL, step["run"]], project, timeout=1200, **env)
    summary = output.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary), output
    # Nothing may be skipped: a missing Redis or database must fail, not hide.
    assert "skipped" not in summary and "xfail" not in summary, output
