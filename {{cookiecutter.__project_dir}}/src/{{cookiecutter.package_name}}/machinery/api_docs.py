"""GET /docs: Swagger UI for the service's own OpenAPI document, served by the service.

APIFlask's docs page loads Swagger UI from a CDN and starts it with an inline script: it
fails offline and under a Content-Security-Policy that trusts only the service. Here the
page, its starter script and Swagger UI's files (from the swagger-ui-py package) all come
from the service itself, and the page's policy allows scripts, styles and requests from
its own origin only (images also as data: URLs, which Swagger UI's stylesheet uses for its
icons). Every other route keeps default-src 'none' (security_headers.py).
"""

from __future__ import annotations

import html
from importlib.resources import files

from flask import Blueprint, Flask, Response, abort, send_from_directory

from .sessions import sessionless

DOCS_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SWAGGER_UI_FILES = files("swagger_ui") / "static"
SERVED_FILES = frozenset({"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"})
ASSET_MAX_AGE_SECONDS = 3600
# Relative addresses: the page works under any path prefix a proxy adds.
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="docs/assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-spec-url="openapi.json"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script src="docs/start.js"></script>
</body>
</html>
"""
# No inline script: the policy forbids them, so Swagger UI is started from a file.
START_SCRIPT = """window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: new URL(root.dataset.specUrl, document.baseURI).href,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null
  });
});
"""


def _with_docs_policy(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = DOCS_POLICY
    return response


def docs_blueprint(title: str) -> Blueprint:
    blueprint = Blueprint("api_docs", __name__)
    page = PAGE.format(title=html.escape(f"{title}: API"))

    @blueprint.get("/docs")
    @sessionless
    def page_view() -> Response:
        return _with_docs_policy(Response(page, mimetype="text/html"))

    @blueprint.get("/docs/start.js")
    @sessionless
    def start_script() -> Response:
        return _with_docs_policy(Response(START_SCRIPT, mimetype="text/javascript"))

    @blueprint.get("/docs/assets/<name>")
    @sessionless
    def asset(name: str) -> Response:
        if name not in SERVED_FILES:
            abort(404)
        response = send_from_directory(str(SWAGGER_UI_FILES), name, max_age=ASSET_MAX_AGE_SECONDS)
        return _with_docs_policy(response)

    return blueprint


def init_api_docs(app: Flask, title: str) -> None:
    app.register_blueprint(docs_blueprint(title))
    # The document is read by the page and by client generators: no session needed.
    sessionless(app.view_functions["openapi.spec"])
