"""Finds module-level mutable state: what every thread, greenlet and request would share.

A module global lives once per worker process and is seen by all its threads at once, so
a list, dict or object kept there and changed while serving is a race. The checks:
- a module- or class-level name bound to a mutable container (list, dict, set and their
  comprehensions, or a call to a mutable container type);
- a `global` or `nonlocal` statement;
- inside a function, a change to a name bound at module level: a mutating method call,
  an item or attribute assignment, or an item deletion.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

MUTABLE_CONSTRUCTORS = frozenset(
    {"list", "dict", "set", "bytearray", "defaultdict", "deque", "OrderedDict", "Counter"}
)
MUTATING_METHODS = frozenset(
    {
        "append", "extend", "insert", "remove", "pop", "popitem", "clear", "update",
        "setdefault", "add", "discard", "appendleft", "extendleft", "sort", "reverse",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Finding:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def _is_mutable_value(node: ast.expr | None) -> bool:
    if isinstance(node, ast.List | ast.Dict | ast.Set | ast.ListComp | ast.DictComp | ast.SetComp):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        return name in MUTABLE_CONSTRUCTORS
    return False


def _bound_names(statement: ast.stmt) -> Iterator[tuple[str, ast.expr | None]]:
    if isinstance(statement, ast.Assign):
        for target in statement.targets:
            for node in ast.walk(target):
                if isinstance(node, ast.Name):
                    yield node.id, statement.value
    elif isinstance(statement, ast.AnnAssign | ast.AugAssign) and isinstance(
        statement.target, ast.Name
    ):
        yield statement.target.id, statement.value


def _top_level_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements run at import: the module body, including inside if/try/with blocks."""
    for statement in body:
        yield statement
        if isinstance(statement, ast.If | ast.Try | ast.With):
            for block in ("body", "orelse", "finalbody"):
                yield from _top_level_statements(getattr(statement, block, []))
            for handler in getattr(statement, "handlers", []):
                yield from _top_level_statements(handler.body)


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def find_module_state(source: str) -> list[Finding]:
    tree = ast.parse(source)
    findings: list[Finding] = []
    module_names: set[str] = set()

    for statement in _top_level_statements(tree.body):
        for name, value in _bound_names(statement):
            module_names.add(name)
            if _is_mutable_value(value) and name != "__all__":
                findings.append(Finding(statement.lineno, f"module global {name!r} is mutable"))
        if isinstance(statement, ast.ClassDef):
            for inner in statement.body:
                for name, value in _bound_names(inner):
                    if _is_mutable_value(value):
                        findings.append(
                            Finding(inner.lineno, f"class attribute {name!r} is mutable")
                        )

    for node in ast.walk(tree):
        if isinstance(node, ast.Global | ast.Nonlocal):
            kind = "global" if isinstance(node, ast.Global) else "nonlocal"
            findings.append(Finding(node.lineno, f"'{kind} {', '.join(node.names)}'"))

    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    for function in functions:
        local_names = {arg.arg for arg in ast.walk(function.args) if isinstance(arg, ast.arg)}
        for node in ast.walk(function):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                local_names.add(node.id)
        shared = module_names - local_names
        for node in ast.walk(function):
            changed = None
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in MUTATING_METHODS and isinstance(node.func.value, ast.Name):
                    changed = node.func.value.id
            elif isinstance(node, ast.Assign | ast.AugAssign | ast.Delete):
                targets = node.targets if not isinstance(node, ast.AugAssign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Attribute | ast.Subscript):
                        changed = _root_name(target) or changed
            if changed in shared:
                findings.append(
                    Finding(node.lineno, f"module global {changed!r} is changed at run time")
                )
    return sorted(findings, key=lambda finding: finding.line)
