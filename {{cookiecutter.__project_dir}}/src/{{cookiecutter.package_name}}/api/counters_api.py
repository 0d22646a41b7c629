"""Counters shared by every client: contended state belongs in the database."""

from apiflask import APIBlueprint
from pydantic import BaseModel, Field

from .. import counters
from ..machinery.errors import APIError
from ..machinery.sessions import sessionless

blueprint = APIBlueprint("counters_api", __name__, url_prefix="/api/counters", tag="Counters")
DATABASE_DOWN = "The database is unavailable"


class CounterName(BaseModel):
    name: str = Field(pattern=r"^[a-z0-9_-]{1,64}$")


class CounterOut(BaseModel):
    name: str
    value: int


@blueprint.post("/<name>")
@sessionless
@blueprint.input(CounterName, location="path", arg_name="path")
@blueprint.output(CounterOut)
@blueprint.doc(responses={503: DATABASE_DOWN})
def increment(name: str, path: CounterName):
    return {"name": path.name, "value": counters.increment(path.name)}


@blueprint.get("/<name>")
@sessionless
@blueprint.input(CounterName, location="path", arg_name="path")
@blueprint.output(CounterOut)
@blueprint.doc(responses={404: "No such counter", 503: DATABASE_DOWN})
def show(name: str, path: CounterName):
    value = counters.current_value(path.name)
    if value is None:
        raise APIError(404, "not_found", f"No counter named {path.name!r}")
    return {"name": path.name, "value": value}
