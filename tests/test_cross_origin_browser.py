"""Cross-origin requests in a real browser, for every worker model: a page on another origin
of the same site (another port of 127.0.0.1, so the Lax session cookie rides along) cannot
add an item to, or log out, the session the browser holds, by `fetch` or by a form; the same
calls from the service's own origin (its /docs page) succeed. The broken variant, the same
service with its cross-origin defence taken out of create_app, lets the page log the user
out. One instance per model under the project's own gunicorn config, PostgreSQL bakes,
Debian's chromium driven by playwright.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from accounts import account
from browser import CHROMIUM, CHROMIUM_ARGS
from combinations import WORKER_MODELS, bake_ok, run
from instances import deployment

# The other origin's page: two forms, and the fetches a script on it may send. A no-cors
# fetch sends only a simple request (a form's content types, no custom header), but it
# sends the cookie, and a body-less POST needs nothing more.
ATTACKER_PAGE = """<!doctype html>
<form id="logout" method="post" action="{service}/api/session/logout"></form>
<form id="add" method="post" enctype="text/plain" action="{service}/api/session/items">
  <input name='{{"item": "forged by a form", "padding": "' value='"}}'>
</form>
"""
FETCH_FROM_ANOTHER_ORIGIN = """async (service) => {
  const options = {method: "POST", mode: "no-cors", credentials: "include"};
  await fetch(service + "/api/session/items", {...options,
    headers: {"Content-Type": "text/plain"}, body: '{"item": "forged by fetch"}'});
  await fetch(service + "/api/session/logout", options);
}"""
SAME_ORIGIN_CALL = """async ([method, path, body]) => {
  const options = {method, headers: {"Content-Type": "application/json"}};
  if (body !== null) options.body = JSON.stringify(body);
  const response = await fetch(path, options);
  return [response.status, response.status === 204 ? null : await response.json()];
}"""
# create_app's line that installs the defence: without it, the broken variant.
DEFENCE = re.compile(r"\n    init_cross_origin_protection\(app, settings\)[^\n]*")


@contextlib.contextmanager
def attacker_site(service: str) -> Iterator[str]:
    """Another origin of the same site, serving ATTACKER_PAGE."""
    page = ATTACKER_PAGE.format(service=service).encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # the name http.server calls
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def call(page, method: str, path: str, body: dict | None = None) -> tuple[int, dict | None]:
    """A request from the page's own script, to its own origin."""
    return tuple(page.evaluate(SAME_ORIGIN_CALL, [method, path, body]))


def attack_by_fetch(page, service: str, attacker: str) -> None:
    page.goto(attacker + "/")
    page.evaluate(FETCH_FROM_ANOTHER_ORIGIN, service)


def attack_by_forms(page, attacker: str) -> list[tuple[int, str]]:
    """The other origin's form posts, submitted; the status and error code each navigated to.
    (Refused, each is a page; a logout that succeeded would be a 204, which a browser does
    not navigate to.)"""
    answers = []
    for form in ("add", "logout"):
        page.goto(attacker + "/")
        with page.expect_navigation() as navigation:
            page.evaluate(f"document.getElementById('{form}').submit()")
        answers.append((navigation.value.status, navigation.value.json()["error"]["code"]))
    return answers


def session_seen_by(page, service: str) -> dict:
    page.goto(service + "/docs")
    status, session = call(page, "GET", "/api/session")
    assert status == 200
    return session


@pytest.mark.parametrize("worker_model", WORKER_MODELS)
def test_another_origin_cannot_write_to_the_session_the_browser_holds(
    cookies, tmp_path, worker_model: str
) -> None:
    from playwright.sync_api import sync_playwright

    project = bake_ok(cookies, {"worker_model": worker_model, "database": "postgresql"})
    run(["uv", "sync", "--locked", "--quiet", "--no-dev"], project)
    factory = project / "src" / "my_service" / "__init__.py"
    with (
        deployment(project, tmp_path, API_DOCS="true") as service,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for defended in (True, False):
            if not defended:  # the broken variant: the same service, the defence taken out
                source = factory.read_text(encoding="utf-8")
                assert len(DEFENCE.findall(source)) == 1
                factory.write_text(DEFENCE.sub("", source), encoding="utf-8")
            instance = service.start()
            base = instance.url
            page = browser.new_context().new_page()
            try:
                page.goto(base + "/docs")
                alice = account("alice")  # the instances share a database: 409 the second time
                assert call(page, "POST", "/api/accounts", alice)[0] in (201, 409)
                assert call(page, "POST", "/api/session/login", alice)[0] == 200
                assert call(page, "POST", "/api/session/items", {"item": "mine"})[0] == 201
                with attacker_site(base) as attacker:
                    attack_by_fetch(page, base, attacker)
                    form_answers = attack_by_forms(page, attacker) if defended else []
                session = session_seen_by(page, base)
                if defended:
                    assert form_answers == [(403, "cross_origin_request")] * 2
                    assert session == {"username": "alice", "items": ["mine"]}
                    # The service's own origin may do what the other could not.
                    assert call(page, "POST", "/api/session/logout")[0] == 204
                    assert session_seen_by(page, base)["username"] is None
                else:
                    assert session["username"] is None, "the other origin could not log out"
            finally:
                page.context.close()
                service.kill(instance)
        browser.close()
