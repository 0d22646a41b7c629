"""Accounts: sign up with a name and a password."""

from __future__ import annotations

from apiflask import APIBlueprint
from pydantic import BaseModel, ConfigDict

from .. import accounts
from ..accounts import Password, Username
from ..machinery.errors import APIError
from ..machinery.sessions import sessionless

blueprint = APIBlueprint("accounts_api", __name__, url_prefix="/api/accounts", tag="Accounts")
UNAVAILABLE = "The database is unavailable, or every password-hashing slot stayed busy"


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
