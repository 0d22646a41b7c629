"""Regenerates the uv.lock shipped for each distinct dependency set a bake can produce.

A baked project must come with a uv.lock that `uv lock --check` accepts, and no hook may
use the network, so the locks are made here, ahead of time: one bake per dependency set,
`uv lock` in it, and the project's own name replaced by the template variable. Run it after
changing the generated pyproject.toml, and with --upgrade to take newer releases:

    uv run python scripts/update_locks.py [--upgrade]
"""

from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
import tempfile
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
LOCKS = TEMPLATE / "{{cookiecutter.__project_dir}}" / "locks"
PLACEHOLDER_SLUG = "lock-placeholder"
SLUG_VARIABLE = "{{ cookiecutter.project_slug }}"

sys.path.insert(0, str(TEMPLATE / "tests"))
from hook_loading import load_hook  # noqa: E402


def variants():
    """One representative answer set per lock file name."""
    lock_variant = load_hook("post_gen_project").lock_variant
    seen = {}
    for worker_model, database, async_sample in itertools.product(
        ("gthread", "gevent"), ("sqlite", "postgresql"), (True, False)
    ):
        answers = {"worker_model": worker_model, "database": database, "async_sample": async_sample}
        seen.setdefault(lock_variant(answers), answers)
    return seen


def lock_one(name: str, answers: dict, upgrade: bool, workdir: Path) -> None:
    project = Path(
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            output_dir=str(workdir / name),
            extra_context={"project_name": PLACEHOLDER_SLUG, **answers},
        )
    )
    (project / "uv.lock").unlink(missing_ok=True)
    command = ["uv", "lock", *(["--upgrade"] if upgrade else [])]
    subprocess.run(command, cwd=project, check=True)
    text = (project / "uv.lock").read_text(encoding="utf-8")
    own_name = f'name = "{PLACEHOLDER_SLUG}"'
    assert text.count(own_name) == 1, f"{name}: expected the project's name once"
    (LOCKS / name).write_text(text.replace(own_name, f'name = "{SLUG_VARIABLE}"'), "utf-8")
    print(f"locked {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upgrade", action="store_true", help="take the newest allowed releases")
    args = parser.parse_args()
    LOCKS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir:
        for name, answers in variants().items():
            lock_one(name, answers, args.upgrade, Path(workdir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
