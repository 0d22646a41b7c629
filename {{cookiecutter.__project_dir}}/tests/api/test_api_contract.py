"""The published contract: /openapi.json, the committed copy beside it, and /docs.

schemathesis checks the live server against the same document (tests/contract/).
"""

from __future__ import annotations

import json
import re

from openapi_spec_validator import validate

from ..support.live_server import PROJECT_ROOT
from .test_errors import assert_json_error

COMMITTED_SPEC = PROJECT_ROOT / "openapi.json"
ERROR_SCHEMAS = ("#/components/schemas/HTTPError", "#/components/schemas/ValidationError")
NOT_IN_THE_CONTRACT = ("openapi.", "api_docs.", "static")  # the contract itself, and /docs


def served_spec(client) -> dict:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def operations(spec: dict):
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


def test_the_document_is_valid_openapi_3_1(client) -> None:
    spec = served_spec(client)
    assert spec["openapi"] == "3.1.0"
    validate(spec)  # raises on the first thing OpenAPI 3.1 does not allow


def test_the_committed_document_is_the_served_one(client) -> None:
    """Client generators read openapi.json from the repository: it must not drift.

    After changing a route: uv run flask --app <package> spec --output openapi.json
    """
    committed = json.loads(COMMITTED_SPEC.read_text(encoding="utf-8"))
    assert committed == served_spec(client), (
        "openapi.json differs from the served document; regenerate it (README: The API contract)"
    )


def test_every_route_is_in_the_document(app, client) -> None:
    documented = {(method, path) for method, path, _ in operations(served_spec(client))}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(NOT_IN_THE_CONTRACT) or rule.endpoint.startswith("test"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, path) in documented, (method, path)


def test_every_error_an_operation_declares_has_the_error_body(client) -> None:
    for method, path, operation in operations(served_spec(client)):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                schema = response["content"]["application/json"]["schema"]
                assert schema["$ref"] in ERROR_SCHEMAS, (method, path, status)


def test_operations_with_a_body_declare_what_the_machinery_refuses(client) -> None:
    spec = served_spec(client)
    with_body = [(m, p, op) for m, p, op in operations(spec) if "requestBody" in op]
    assert with_body
    for method, path, operation in with_body:
        assert {"400", "413", "415", "422"} <= set(operation["responses"]), (method, path)


def test_conditional_operations_declare_their_preconditions(client) -> None:
    spec = served_spec(client)
    for method in ("patch", "delete"):
        operation = spec["paths"]["/api/notes/{note_id}"][method]
        assert {"404", "412", "428"} <= set(operation["responses"])
        header = next(p for p in operation["parameters"] if p["in"] == "header")
        assert (header["name"].lower(), header["required"]) == ("if-match", True)


def test_the_document_is_built_once_with_the_app(app) -> None:
    # APIFlask keeps the built document here; built in create_app, no request builds it.
    assert app._spec is not None


def test_the_docs_page_trusts_only_the_service(client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self';" in policy and "connect-src 'self';" in policy
    assert "http" not in policy and "unsafe" not in policy
    html = page.get_data(as_text=True)
    assert "<script>" not in html  # no inline script: the policy would refuse it
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(not re.match(r"[a-z]+:|//", source) for source in sources), sources
    for source in sources:
        asset = client.get("/" + source)
        assert asset.status_code == 200, source
        assert asset.headers["Content-Security-Policy"] == policy


def test_only_swagger_ui_s_own_files_are_served(client) -> None:
    for name in ("index.html", "..%2Fcore.py", "swagger-editor.js"):
        assert_json_error(client.get(f"/docs/assets/{name}"), 404, "not_found")


def test_every_other_route_keeps_the_strict_policy(client) -> None:
    for path in ("/openapi.json", "/healthz", "/api/request", "/nowhere"):
        assert client.get(path).headers["Content-Security-Policy"] == (
            "default-src 'none'; frame-ancestors 'none'"
        )


def test_api_docs_off_serves_neither_the_document_nor_the_page(make_app) -> None:
    client = make_app(API_DOCS="false").test_client()
    for path in ("/openapi.json", "/docs", "/docs/start.js"):
        assert_json_error(client.get(path), 404, "not_found")
    assert client.get("/healthz").status_code == 200
