"""schemathesis's hooks for this API: a logged-in session for the routes that need one.

test_schemathesis.py loads this module through SCHEMATHESIS_HOOKS. Notes and session items
need a login, and without one schemathesis would see only their 401s. The routes that end a
session (logout, logout everywhere, a password change) get no cookie, so that no case ends
the session the others send; they still run, as a logged-out client.
"""

from __future__ import annotations

import os
import uuid

import requests
import schemathesis

SESSION_ENDING = r"^/api/session/logout|^/api/accounts/me/password$"


@schemathesis.auth().skip_for(path_regex=SESSION_ENDING)
class LoggedIn:
    def get(self, case, context) -> str:
        base_url = os.environ["CONTRACT_BASE_URL"]
        name = f"contract-{uuid.uuid4().hex[:12]}"
        account = {"username": name, "password": "a contract test password"}
        with requests.Session() as http:
            http.post(f"{base_url}/api/accounts", json=account, timeout=10).raise_for_status()
            http.post(f"{base_url}/api/session/login", json=account, timeout=10).raise_for_status()
            return http.cookies["session"]

    def set(self, case, data: str, context) -> None:
        case.cookies = {**(case.cookies or {}), "session": data}
