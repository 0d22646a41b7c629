"""The layout's promise, read from the package's own imports: the machinery (machinery/,
server/, worker_models/) never imports the team's code, but for gunicorn's entry point
building the app through create_app; what differs by worker model imports nothing else of
the service; and no modules import each other in a circle. Each check is also shown
finding a planted violation."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import {{ cookiecutter.package_name }} as package

PACKAGE_DIR = Path(package.__file__).parent
ROOT = package.__name__
MACHINERY_ROOMS = ("machinery", "server", "worker_models")
# gunicorn's entry point builds the app: the one way from the machinery up to the team's code.
THROUGH_THE_FACTORY = frozenset({(f"{ROOT}.server.wsgi", ROOT)})


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((ROOT, *parts))


MODULES = {module_name(path): path for path in sorted(PACKAGE_DIR.rglob("*.py"))}


def imported_modules(name: str, path: Path) -> set[str]:
    """The package's modules that this one imports, relative imports resolved."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            found.add(source)
            found.update(f"{source}.{alias.name}" for alias in node.names)
    return {module for module in found if module in MODULES and module != name}


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in MACHINERY_ROOMS else "team"


def upward_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted(
        (module, imported)
        for module, imports in graph.items()
        for imported in imports
        if room(module) != "team"
        and room(imported) == "team"
        and (module, imported) not in THROUGH_THE_FACTORY
    )


def outward_from_worker_models(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted(
        (module, imported)
        for module, imports in graph.items()
        for imported in imports
        if room(module) == "worker_models" and room(imported) != "worker_models"
    )


def a_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One circle of imports, as the modules along it, or [] when there is none."""
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str]:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return []
        for imported in sorted(graph.get(module, ())):
            if cycle := visit(imported, [*path, module]):
                return cycle
        done.add(module)
        return []

    for module in sorted(graph):
        if cycle := visit(module, []):
            return cycle
    return []


GRAPH = {name: imported_modules(name, path) for name, path in MODULES.items()}


def test_the_machinery_never_imports_the_teams_code() -> None:
    assert upward_imports(GRAPH) == []


def test_what_differs_by_worker_model_imports_nothing_else_of_the_service() -> None:
    assert outward_from_worker_models(GRAPH) == []


def test_no_modules_import_each_other_in_a_circle() -> None:
    assert a_cycle(GRAPH) == []


def test_the_graph_is_read_from_the_code() -> None:
    assert f"{ROOT}.machinery.extensions" in GRAPH[f"{ROOT}.models"]
    assert GRAPH[f"{ROOT}.server.wsgi"] >= {ROOT, f"{ROOT}.machinery.settings"}


@pytest.mark.parametrize(
    ("planted", "check"),
    [
        ({f"{ROOT}.machinery.sessions": {f"{ROOT}.models"}}, upward_imports),
        ({f"{ROOT}.server.gunicorn_integration": {f"{ROOT}.api"}}, upward_imports),
        ({f"{ROOT}.worker_models.gevent_state": {f"{ROOT}.machinery.settings"}},
         outward_from_worker_models),
        ({f"{ROOT}.counters": {f"{ROOT}.models"}, f"{ROOT}.models": {f"{ROOT}.counters"}},
         a_cycle),
    ],
    ids=["machinery to models", "server to api", "worker model to settings", "circle"],
)  # fmt: skip
def test_each_check_finds_a_planted_violation(planted: dict, check) -> None:
    assert check({**GRAPH, **planted})
