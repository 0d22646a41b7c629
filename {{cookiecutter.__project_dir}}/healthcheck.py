"""The container's health check: exit 0 when this container's /healthz answers 200.

Standard library only, and no import of the service: it runs every few seconds, and the
service's imports would cost a second of CPU each time.
"""

import os
import sys
import urllib.request

TIMEOUT_SECONDS = 3


def healthz_url(env: dict) -> str:
    """Where gunicorn.conf.py binds: GUNICORN_BIND, else every interface on PORT."""
    host, _, port = env.get("GUNICORN_BIND", "").rpartition(":")
    if not port:
        host, port = "", env.get("PORT", "8000")
    host = host.strip("[]")
    if host in ("", "0.0.0.0"):  # noqa: S104 (the address bound, not one listened on here)
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/healthz"


def main() -> int:
    url = healthz_url(os.environ)
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310 (http only)
            return 0 if answer.status == 200 else 1
    except OSError as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
