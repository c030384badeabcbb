"""Real Chromium (Debian's /usr/bin/chromium) driven by Playwright against a live server.

Outside CI, a machine without Chromium skips these tests and says so; under CI=true they must run.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import IN_CI

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        message = f"{CHROMIUM} not found: browser tests skipped (apt-get install -y chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Serve ``app`` (its own SQLite copy) on a free loopback port in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # Requests still in flight when the test ends (Chromium fetching the favicon as the page
    # closes) finish before the next test starts: a request thread cut loose once left a
    # static file to be closed by the garbage collector in a later test (ResourceWarning,
    # an error under filterwarnings=error). server_close() joins them.
    server.daemon_threads = False
    server.block_on_close = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.failed_call = report.failed


RESULTS = Path(__file__).resolve().parents[2] / "test-results"


@pytest.fixture
def page(browser, live_server, request):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(8000)
    page = context.new_page()
    page.problems = []  # console errors and CSP violations, checked by tests
    # A refused form answers 422 by design (errors shown, input kept); Chromium logs every
    # 4xx as a console error, so that one status is not a problem. Everything else is.
    page.on(
        "console",
        lambda m: (
            m.type == "error" and "status of 422" not in m.text and page.problems.append(m.text)
        ),
    )
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.base = live_server
    yield page
    if getattr(request.node, "failed_call", False):
        # What the browser showed when the test failed: a screenshot and the page's text.
        RESULTS.mkdir(exist_ok=True)
        name = request.node.name.replace("/", "_")
        page.screenshot(path=str(RESULTS / f"{name}.png"), full_page=True)
        (RESULTS / f"{name}.txt").write_text(
            page.url + "\n" + page.inner_text("body"), encoding="utf-8"
        )
    context.close()
