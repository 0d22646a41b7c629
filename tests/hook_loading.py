"""Loads a hook as a module, rendered the way cookiecutter renders it, so that its
functions can be called directly with any answers."""

from __future__ import annotations

import importlib.util
import json
import sys
import tempfile
from pathlib import Path
from types import ModuleType

from cookiecutter.environment import StrictEnvironment

TEMPLATE = Path(__file__).resolve().parents[1]
DEFAULT_CONTEXT = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))


def default_answers() -> dict:
    return {
        "project_name": "My Service",
        "project_slug": "my-service",
        "__project_dir": "my-service",
        "package_name": "my_service",
        "description": DEFAULT_CONTEXT["description"],
        "author_name": DEFAULT_CONTEXT["author_name"],
        "author_email": DEFAULT_CONTEXT["author_email"],
        "worker_model": "gthread",
        "database": "sqlite",
        "async_sample": True,
    }


def render_hook(name: str, answers: dict | None = None) -> str:
    source = (TEMPLATE / "hooks" / f"{name}.py").read_text(encoding="utf-8")
    environment = StrictEnvironment(context={"cookiecutter": DEFAULT_CONTEXT})
    return environment.from_string(source).render(cookiecutter=answers or default_answers())


def load_hook(name: str, answers: dict | None = None) -> ModuleType:
    rendered = render_hook(name, answers)
    directory = Path(tempfile.mkdtemp(prefix="hook-"))
    path = directory / f"{name}.py"
    path.write_text(rendered, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"rendered_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.pop(spec.name, None)
    spec.loader.exec_module(module)
    return module
