"""The generated project's open-loop load (its tests/support/open_loop.py), loaded from the
template's source, so that the benchmark, the template's tests and the project's own tests
send load the same way."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SOURCE = (
    Path(__file__).resolve().parents[2]
    / "{{cookiecutter.__project_dir}}"
    / "tests"
    / "support"
    / "open_loop.py"
)

_spec = importlib.util.spec_from_file_location("generated_open_loop", SOURCE)
_module = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _module  # dataclasses look their module up while they are built
_spec.loader.exec_module(_module)

Answer = _module.Answer
offer = _module.offer
