"""Whether this process runs under gevent, and the standard library as it was before gevent:
pools and async views adapt to it."""

import importlib
import sys
from typing import Any


def _gevent_monkey() -> Any:
    """gevent's patcher if something imported it (the gevent worker, the config), else None."""
    return sys.modules.get("gevent.monkey")


def gevent_is_active() -> bool:
    """True when gevent has replaced the threading module (the gevent worker, or the config)."""
    monkey = _gevent_monkey()
    return monkey is not None and monkey.is_module_patched("threading")


def unpatched(module: str, name: str) -> Any:
    """The standard library's own `module.name`, also where gevent has replaced it."""
    monkey = _gevent_monkey()
    if monkey is not None and monkey.is_module_patched(module):
        return monkey.get_original(module, name)
    return getattr(importlib.import_module(module), name)
