"""The mix's users: wrk's connection N plays bench-N, who logs in with a password.

A login checks the password (Argon2id: tens of milliseconds of a worker's CPU, a cost the
mix measures), but signing up is not part of the mix: its users are signed up through the
service's own route (POST /api/accounts) before any timed run, on every server of the
service that serves the mix (a name signed up already is a 409, fine). The naive app
reads the same account table and checks the same hashes. A service from before accounts
(a --baseline) has no signup route: its mix logs in by name alone.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from .baking import BakedService
from .load import Scenario
from .local_services import HOST
from .processes import BenchmarkError

# mix.lua writes it into the login's JSON as it is: no quote, no backslash.
PASSWORD = "bench-users-password"
SIGN_UP_TIMEOUT = 30
# Every wrk connection comes from 127.0.0.1, where a service's users come from many
# addresses: the per-address limit on failed logins (LOGIN_ADDRESS_LIMIT, 100 in 15
# minutes) would count each login in flight against one address, and refuse some at 256
# connections. Raised far above any --connections; the limit costs the same to check.
ADDRESS_LIMIT = "1000000 per 15 minutes"


def has_accounts(service: BakedService) -> bool:
    """Whether the service's contract (openapi.json) has the signup route."""
    contract = json.loads((service.project / "openapi.json").read_text(encoding="utf-8"))
    return "/api/accounts" in contract["paths"]


def plays_users(scenario: Scenario) -> bool:
    return scenario.script in ("mix.lua", "login.lua")


def script_arguments(scenario: Scenario, service: BakedService) -> tuple[str, ...]:
    """What mix.lua and login.lua are given after `--`: the users' password, where a login
    needs one."""
    if plays_users(scenario) and has_accounts(service):
        return (PASSWORD,)
    return ()


def sign_up(port: int, users: int) -> None:
    """bench-1 ... bench-`users`, through the service listening on `port`."""
    for number in range(1, users + 1):
        body = json.dumps({"username": f"bench-{number}", "password": PASSWORD}).encode()
        request = urllib.request.Request(
            f"http://{HOST}:{port}/api/accounts", body, {"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=SIGN_UP_TIMEOUT) as answer:
                status = answer.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError as error:
            raise BenchmarkError(f"signing up bench-{number}: {error}") from None
        if status not in (201, 409):
            raise BenchmarkError(f"signing up bench-{number}: the service answered {status}")


def sign_up_if_needed(scenario: Scenario, service: BakedService, port: int, users: int) -> None:
    """The mix's users, before the mix runs, on a server of the service itself."""
    if plays_users(scenario) and has_accounts(service):
        sign_up(port, users)
