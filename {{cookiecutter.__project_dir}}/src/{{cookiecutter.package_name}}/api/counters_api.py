"""Counters shared by every client: contended state belongs in the database."""

import re

from flask import Blueprint

from .. import counters
from ..machinery.errors import APIError
from ..machinery.sessions import sessionless

_COUNTER_NAME = re.compile(r"[a-z0-9_-]{1,64}")
blueprint = Blueprint("counters_api", __name__, url_prefix="/api/counters")


def _checked(name: str) -> str:
    if not _COUNTER_NAME.fullmatch(name):
        raise APIError(422, "invalid_counter_name", "Counter names match [a-z0-9_-]{1,64}")
    return name


@blueprint.post("/<name>")
@sessionless
def increment(name: str):
    name = _checked(name)
    return {"name": name, "value": counters.increment(name)}


@blueprint.get("/<name>")
@sessionless
def show(name: str):
    name = _checked(name)
    value = counters.current_value(name)
    if value is None:
        raise APIError(404, "not_found", f"No counter named {name!r}")
    return {"name": name, "value": value}
