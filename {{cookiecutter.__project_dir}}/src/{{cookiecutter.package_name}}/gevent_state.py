"""Whether this process runs under gevent: pools and async views adapt to it."""

import sys


def gevent_is_active() -> bool:
    """True when gevent has replaced the threading module (the gevent worker, or the config)."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched("threading")
