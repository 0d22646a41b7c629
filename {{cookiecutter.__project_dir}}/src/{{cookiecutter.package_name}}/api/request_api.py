"""Shows what the service sees of a request: its id (carried through flask.g), and the
client's address, scheme and this route's external URL (the client's own behind trusted
proxies, see machinery/proxies.py)."""

from apiflask import APIBlueprint
from flask import request, url_for
from pydantic import BaseModel

from ..machinery.request_id import current_request_id
from ..machinery.sessions import sessionless

blueprint = APIBlueprint("request_api", __name__, url_prefix="/api", tag="Request")


class RequestOut(BaseModel):
    request_id: str
    remote_addr: str | None
    scheme: str
    url: str


@blueprint.get("/request")
@sessionless
@blueprint.output(RequestOut)
def show():
    return {
        "request_id": current_request_id(),
        "remote_addr": request.remote_addr,
        "scheme": request.scheme,
        "url": url_for("request_api.show", _external=True),
    }
