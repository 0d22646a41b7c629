"""Regenerates the generated project's committed openapi.json, the contract client
generators read, from the service itself.

The document depends on two answers only: the project's name (its title) and whether the
async sample is in (its route and schemas). So the service is baked twice, with and without
the sample, each writes its document with `flask spec`, and the two are merged into one
template: what only the sample adds goes inside `{% if cookiecutter.async_sample %}`.
Each generated suite checks that its committed document is the one it serves
(tests/api/test_api_contract.py). Run it after changing a route's declarations:

    uv run python scripts/update_openapi.py
"""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
TARGET = TEMPLATE / "{{cookiecutter.__project_dir}}" / "openapi.json"
PLACEHOLDER_NAME = "Openapi Placeholder"
TITLE_LINE = f'    "title": "{PLACEHOLDER_NAME}",'
TITLE_TEMPLATE = '    "title": {{ cookiecutter.project_name | tojson }},'
IF_SAMPLE, END_IF = "{%- if cookiecutter.async_sample %}", "{%- endif %}"


def document(async_sample: bool, workdir: Path) -> list[str]:
    project = Path(
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            output_dir=str(workdir / str(async_sample)),
            extra_context={"project_name": PLACEHOLDER_NAME, "async_sample": async_sample},
        )
    )
    package = project.name.replace("-", "_")
    environment = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    output = project / "openapi.json"
    subprocess.run(
        ["uv", "run", "--locked", "flask", "--app", package, "spec", "--quiet", "--output", output],
        cwd=project,
        env=environment,
        check=True,
    )
    return output.read_text(encoding="utf-8").splitlines()


def merged(without_sample: list[str], with_sample: list[str]) -> list[str]:
    lines: list[str] = []
    matcher = difflib.SequenceMatcher(a=without_sample, b=with_sample, autojunk=False)
    for operation, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        if operation == "equal":
            lines.extend(without_sample[a_start:a_end])
        elif operation == "insert":
            lines.extend([IF_SAMPLE, *with_sample[b_start:b_end], END_IF])
        else:
            raise SystemExit(f"the sample changes, not only adds, lines {a_start + 1}-{a_end}")
    assert lines.count(TITLE_LINE) == 1, "expected the project's name once, as the title"
    return [TITLE_TEMPLATE if line == TITLE_LINE else line for line in lines]


def main() -> int:
    with tempfile.TemporaryDirectory() as workdir:
        without_sample = document(False, Path(workdir))
        with_sample = document(True, Path(workdir))
    TARGET.write_text("\n".join(merged(without_sample, with_sample)) + "\n", encoding="utf-8")
    print(f"wrote {TARGET.relative_to(TEMPLATE)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
