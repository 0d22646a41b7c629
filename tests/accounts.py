"""The account the template's tests log in with: a login needs a signed-up name and its
password (POST /api/accounts, then POST /api/session/login with the same body)."""

from __future__ import annotations

PASSWORD = "correct horse battery staple"


def account(username: str) -> dict[str, str]:
    """The body of the signup and of the login: a name of 3 to 64 of [A-Za-z0-9_.-]."""
    return {"username": username, "password": PASSWORD}
