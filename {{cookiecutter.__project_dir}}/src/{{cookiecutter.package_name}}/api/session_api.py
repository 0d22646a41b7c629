"""Identity and a small per-user list, kept in the server-side session.

Two requests that both modify one session race (the last write wins), so the session holds
only what belongs to one user; shared or contended state lives in the database.
"""

from flask import Blueprint, current_app, session

from ..machinery.errors import APIError
from ..machinery.validation import json_object, text_field

MAX_USERNAME_LENGTH = 64
MAX_ITEM_LENGTH = 200
MAX_ITEMS = 500
blueprint = Blueprint("session_api", __name__, url_prefix="/api/session")


def _state() -> dict:
    return {"username": session.get("username"), "items": list(session.get("items", ()))}


@blueprint.get("")
def show():
    return _state()


@blueprint.post("/login")
def login():
    username = text_field(json_object(), "username", MAX_USERNAME_LENGTH)
    # A new id at login: an id planted or seen before login is worth nothing after it.
    current_app.session_interface.regenerate(session)
    session["username"] = username
    return {"username": username}


@blueprint.post("/items")
def add_item():
    item = text_field(json_object(), "item", MAX_ITEM_LENGTH, printable=False)
    items = list(session.get("items", ()))
    if len(items) >= MAX_ITEMS:
        raise APIError(409, "session_full", f"A session holds at most {MAX_ITEMS} items")
    items.append(item)
    session["items"] = items
    return {"items": items}, 201


@blueprint.post("/logout")
def logout():
    session.clear()  # an emptied session is deleted from the store and its cookie expired
    return "", 204
