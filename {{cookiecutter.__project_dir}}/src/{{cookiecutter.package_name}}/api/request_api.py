"""Shows what the service sees of a request: its id (carried through flask.g), and the
client's address, scheme and this route's external URL (the client's own behind trusted
proxies, see machinery/proxies.py)."""

from flask import Blueprint, request, url_for

from ..machinery.request_id import current_request_id
from ..machinery.sessions import sessionless

blueprint = Blueprint("request_api", __name__, url_prefix="/api")


@blueprint.get("/request")
@sessionless
def show():
    return {
        "request_id": current_request_id(),
        "remote_addr": request.remote_addr,
        "scheme": request.scheme,
        "url": url_for("request_api.show", _external=True),
    }
