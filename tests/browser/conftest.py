"""Browser fixtures: the app served from a thread, Debian's Chromium driven by Playwright.

On failure (or with CASEWORK_KEEP_SHOTS=1), every screenshot the test took is kept under
tests/browser/artifacts/.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from web import create_app

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def serve():
    """serve(casework, **config) -> the web app around it (with Flask `config` added) on an
    ephemeral port, served by a real threaded WSGI server until the test ends."""
    running = []

    def start(casework, **config) -> str:
        flask_app = create_app({"CASEWORK": casework, "SECRET_KEY": "browser-test", **config})
        server = make_server("127.0.0.1", 0, flask_app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        running.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server, thread in running:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def live_server(app, serve):
    """The web app on the `app` fixture's Casework."""
    return serve(app)


@pytest.fixture(scope="module")
def browser():
    # Module scope: Playwright's sync API allows one instance at a time per thread, and other test
    # modules may start their own.
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: run `bash scripts/system-deps` (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield instance
        instance.close()


class Shots:
    """Screenshots taken along a journey; written to disk only when the test fails."""

    def __init__(self, page):
        self.page, self.taken = page, []

    def __call__(self, name: str) -> None:
        self.taken.append((name, self.page.screenshot(full_page=True)))


@pytest.fixture
def page(browser, request):
    context = browser.new_context(locale="fr-BE", timezone_id="Europe/Brussels",
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.shots = Shots(page)
    # What a user would not see but must not happen: a script failing, an error the browser
    # reports (the security policy, web/headers.py, refusing something a page needs; an attribute
    # a script set to a value it cannot take). A response the test asks for on purpose (a 4xx
    # page) is reported as a failed resource load: not counted.
    page.script_problems = problems = []
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error"
            and not message.text.startswith("Failed to load resource") else None)
    yield page
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed or os.environ.get("CASEWORK_KEEP_SHOTS"):  # set it to look at a passing journey
        target = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.name)
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True, exist_ok=True)
        for index, (name, png) in enumerate(page.shots.taken):
            (target / f"{index:02d}-{name}.png").write_bytes(png)
        try:
            page.screenshot(path=str(target / "zz-at-failure.png"), full_page=True)
        except Exception:  # noqa: BLE001 - the page may be gone; the earlier shots are kept
            pass
    context.close()
    if not failed:
        assert not problems, f"script errors or refused by the page's security policy: {problems}"

