"""A newcomer opens /docs on the embedded defaults, in a real browser: every route is on the
page, it needs nothing but the service (no CDN, no network), its Content-Security-Policy
refuses nothing, and "Try it out" reaches the service.

Debian's chromium, driven by playwright (never a browser playwright downloads).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import requests
from browser import CHROMIUM, CHROMIUM_ARGS
from combinations import bake_ok

COLLECT_POLICY_VIOLATIONS = """
window.policyViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.policyViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""
OPERATIONS_ON_THE_PAGE = """
blocks => blocks.map(block => [
  block.querySelector(".opblock-summary-method").textContent.trim(),
  block.querySelector(".opblock-summary-path").getAttribute("data-path"),
])
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def development_server(project: Path) -> Iterator[str]:
    """`uv run flask run`, as the README's first command leaves it: embedded defaults."""
    port = free_port()
    environment = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    for name in ("DATABASE_URL", "REDIS_URL", "APP_ENV"):
        environment.pop(name, None)
    server = subprocess.Popen(
        ["uv", "run", "--locked", "flask", "run", "--port", str(port)],
        cwd=project,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # the first run installs the environment
        while True:
            assert server.poll() is None, "flask run exited"
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, "flask run did not start"
            time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        server.wait(30)


def test_the_docs_page_shows_every_route_offline_and_within_its_policy(cookies) -> None:
    from playwright.sync_api import sync_playwright

    project = bake_ok(cookies, {})
    with development_server(project) as base, sync_playwright() as playwright:
        document = requests.get(base + "/openapi.json", timeout=10).json()
        documented = {
            (method.upper(), path)
            for path, methods in document["paths"].items()
            for method in methods
        }
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        requested, console_errors = [], []
        page.on("request", lambda request: requested.append(request.url))
        page.on(
            "console",
            lambda message: (
                console_errors.append(message.text) if message.type == "error" else None
            ),
        )
        page.add_init_script(COLLECT_POLICY_VIOLATIONS)
        page.goto(base + "/docs")
        page.wait_for_selector(".opblock", timeout=30_000)
        shown = {
            tuple(pair) for pair in page.eval_on_selector_all(".opblock", OPERATIONS_ON_THE_PAGE)
        }
        assert shown == documented

        healthz = page.locator('.opblock-get:has(.opblock-summary-path[data-path="/healthz"])')
        healthz.locator(".opblock-summary").click()
        healthz.locator("button.try-out__btn").click()
        healthz.locator("button.execute").click()
        status = healthz.locator(".live-responses-table tbody .response-col_status").first
        status.wait_for(timeout=15_000)
        assert status.inner_text().strip().startswith("200")

        assert page.evaluate("window.policyViolations") == []
        assert console_errors == []
        assert [url for url in requested if not url.startswith(base + "/")] == []
        browser.close()
