"""Accounts: sign up with a name and a password."""

from __future__ import annotations

from apiflask import APIBlueprint
from pydantic import BaseModel, ConfigDict

from .. import accounts
from ..accounts import Password, Username
from ..machinery import user_sessions
from ..machinery.errors import APIError
from ..machinery.login_throttle import TOO_MANY_ATTEMPTS, login_throttle
from ..machinery.sessions import sessionless
from ..machinery.user_sessions import login_required

blueprint = APIBlueprint("accounts_api", __name__, url_prefix="/api/accounts", tag="Accounts")
UNAVAILABLE = "The database or Redis is unavailable, or every password-hashing slot stayed busy"


class NewAccount(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    password: Password


class AccountOut(BaseModel):
    username: str


@blueprint.post("")
@sessionless  # signing up logs nobody in: no session store round trip
@blueprint.input(NewAccount, arg_name="new")
@blueprint.output(AccountOut, status_code=201)
@blueprint.doc(
    responses={409: "Another account has this name, in any letter case", 503: UNAVAILABLE}
)
def create(new: NewAccount):
    try:
        username = accounts.create(new.username, new.password)
    except accounts.UsernameTaken:
        raise APIError(409, "username_taken", "Another account has this name") from None
    return {"username": username}, 201


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: Password
    new_password: Password


@blueprint.post("/me/password")
@login_required
@blueprint.input(PasswordChange, arg_name="change")
@blueprint.output({}, status_code=204)
@blueprint.doc(
    responses={
        401: "Not logged in, or the current password is wrong",
        429: TOO_MANY_ATTEMPTS,
        503: UNAVAILABLE,
    }
)
def change_password(change: PasswordChange):
    """Every other session of the user ends; this one goes on with a new id."""
    username = user_sessions.current_username()
    # A wrong current password is a failed login: the same throttle counts it.
    with login_throttle().attempt(username) as attempt:
        if not accounts.change_password(username, change.current_password, change.new_password):
            attempt.fail()
            raise APIError(401, "invalid_credentials", "The current password is wrong")
    user_sessions.end_all(username)
    user_sessions.start(username)
    return "", 204
