"""No mutable module globals in the package, and proof that the check would see one."""

from __future__ import annotations

from pathlib import Path

import pytest

import {{ cookiecutter.package_name }} as package

from ..support.module_state import find_module_state

PACKAGE_DIR = Path(package.__file__).parent
SOURCES = sorted(PACKAGE_DIR.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(PACKAGE_DIR)))
def test_the_package_keeps_no_mutable_module_state(path: Path) -> None:
    findings = find_module_state(path.read_text(encoding="utf-8"))
    assert not findings, "\n".join(map(str, findings))


PLANTED = {
    "list literal": "SEEN = []\n",
    "dict literal": "CACHE: dict = {}\n",
    "set call": "import x\nUSERS = set()\n",
    "defaultdict": "import collections\nHITS = collections.defaultdict(int)\n",
    "comprehension": "SQUARES = {n: n * n for n in range(3)}\n",
    "inside an if": "import os\nif os.name:\n    STATE = []\n",
    "class attribute": "class Registry:\n    entries = []\n",
    "global statement": "COUNT = 0\n\ndef bump():\n    global COUNT\n    COUNT += 1\n",
    "nonlocal statement": "def outer():\n    n = 0\n    def inner():\n        nonlocal n\n",
    "method call": "SEEN = ()\n\ndef remember(x):\n    SEEN.append(x)\n",
    "item assignment": "CONFIG = object()\n\ndef f(k, v):\n    CONFIG[k] = v\n",
    "attribute assignment": "STATE = object()\n\ndef f(v):\n    STATE.last = v\n",
    "item deletion": "TABLE = None\n\ndef forget(k):\n    del TABLE[k]\n",
}
CLEAN = {
    "constants": "LIMIT = 5\nNAMES = ('a', 'b')\nFROZEN = frozenset({1})\n",
    "local containers": "def f():\n    items = []\n    items.append(1)\n    return items\n",
    "shadowing parameter": "SEEN = ()\n\ndef f(SEEN):\n    SEEN.append(1)\n",
    "imported object method": "from flask import session\n\ndef out():\n    session.clear()\n",
    "dunder all": "__all__ = ['create_app']\n",
}


@pytest.mark.parametrize("source", PLANTED.values(), ids=PLANTED.keys())
def test_a_planted_violation_is_found(source: str) -> None:
    assert find_module_state(source)


@pytest.mark.parametrize("source", CLEAN.values(), ids=CLEAN.keys())
def test_clean_code_passes(source: str) -> None:
    assert find_module_state(source) == []
