"""The template's own code passes the same linter and formatter it asks of its projects."""

from pathlib import Path

from combinations import run

TEMPLATE = Path(__file__).resolve().parents[1]


def test_template_code_passes_ruff() -> None:
    run(["ruff", "check", "tests", "scripts"], TEMPLATE)
    run(["ruff", "format", "--check", "tests", "scripts"], TEMPLATE)
