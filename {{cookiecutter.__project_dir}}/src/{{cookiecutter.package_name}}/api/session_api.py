"""Identity and a small per-user list, kept in the server-side session.

Two requests that both modify one session race (the last write wins), so the session holds
only what belongs to one user; shared or contended state lives in the database.
"""

from typing import Annotated

from apiflask import APIBlueprint
from flask import session
from pydantic import BaseModel, ConfigDict, Field

from .. import accounts
from ..accounts import Password, Username
from ..machinery import user_sessions
from ..machinery.errors import APIError
from ..machinery.login_throttle import TOO_MANY_ATTEMPTS, login_throttle
from ..machinery.user_sessions import login_required

MAX_ITEMS = 500
blueprint = APIBlueprint("session_api", __name__, url_prefix="/api/session", tag="Session")
REDIS_DOWN = "Redis (the session store) is unavailable"


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    password: Password


class NewItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: Annotated[str, Field(min_length=1, max_length=200)]


class SessionOut(BaseModel):
    username: str | None
    items: list[str]


class ItemsOut(BaseModel):
    items: list[str]


class LoginOut(BaseModel):
    username: str


def _state() -> dict:
    return {"username": session.get("username"), "items": list(session.get("items", ()))}


@blueprint.get("")
@blueprint.output(SessionOut)
@blueprint.doc(responses={503: REDIS_DOWN})
def show():
    return _state()


@blueprint.post("/login")
@blueprint.input(Login, arg_name="login")
@blueprint.output(LoginOut)
@blueprint.doc(
    responses={
        401: "Wrong password, or no such account: the answer does not say which",
        429: TOO_MANY_ATTEMPTS,
        503: f"{REDIS_DOWN} (logins are not counted, so none is let in), or the database is",
    }
)
def login(login: Login):
    # The attempt counts before the password is checked (machinery/login_throttle.py).
    with login_throttle().attempt(accounts.canonical(login.username)) as attempt:
        username = accounts.authenticate(login.username, login.password)
        if username is None:
            attempt.fail()
            raise APIError(401, "invalid_credentials", "Wrong username or password")
    user_sessions.start(username)  # on a new session id
    return {"username": username}


@blueprint.post("/items")
@login_required
@blueprint.input(NewItem, arg_name="new")
@blueprint.output(ItemsOut, status_code=201)
@blueprint.doc(
    responses={
        401: "Not logged in",
        409: "The session holds MAX_ITEMS items already",
        503: REDIS_DOWN,
    }
)
def add_item(new: NewItem):
    items = list(session.get("items", ()))
    if len(items) >= MAX_ITEMS:
        raise APIError(409, "session_full", f"A session holds at most {MAX_ITEMS} items")
    items.append(new.item)
    session["items"] = items
    return {"items": items}, 201


@blueprint.post("/logout")
@blueprint.output({}, status_code=204)
@blueprint.doc(responses={503: REDIS_DOWN})
def logout():
    user_sessions.end()  # an emptied session is deleted from the store, its cookie expired
    return "", 204


@blueprint.post("/logout-all")
@login_required
@blueprint.output({}, status_code=204)
@blueprint.doc(responses={401: "Not logged in", 503: REDIS_DOWN})
def logout_all():
    """End every session of this user, on every instance, this one included."""
    user_sessions.end_all(user_sessions.current_username())
    session.clear()
    return "", 204
