"""Shows the request id carried through flask.g for the lifetime of one request."""

from flask import Blueprint

from ..request_id import current_request_id
from ..sessions import sessionless

blueprint = Blueprint("request_api", __name__, url_prefix="/api")


@blueprint.get("/request")
@sessionless
def show():
    return {"request_id": current_request_id()}
