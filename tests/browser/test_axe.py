"""axe-core in Chromium on every main page of each role (issue 14 item 4): in Chinese and in
English, at 1280 and 360 px, and with refused forms (errors shown). Any serious or critical
violation fails, naming the rule, its impact, the elements and the page; so does a part of a
page that scrolls sideways at 1280 px (a table too wide for its column).

axe is the vendored copy (static/vendor/axe-core-<version>/, from the npm registry's axe-core
package), added to each page from the app's own static path so the Content-Security-Policy
(script-src 'self') holds as for any visitor. ``AXE_REPORT=<dir>`` writes each test's results
as JSON there (docs/accessibility.md).

One test per role and language opens each page once and runs axe at both widths (the layout
changes, the page does not need to be loaded again).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import Flask

from tests.browser.role_pages import (
    LEFT_OUT,
    LOGINS,
    REFUSED,
    choose,
    refuse,
    resolve,
    role_pages,
    sign_in,
)
from tests.conftest import seeded_copy
from tracker.web import wallclock

AXE_DIR = Path(__file__).resolve().parents[2] / "static" / "vendor"
AXE_VERSION = sorted(p.name for p in AXE_DIR.glob("axe-core-*"))[-1]
AXE_URL = f"/static/vendor/{AXE_VERSION}/axe.min.js"
WIDTHS = (1280, 360)
FAILING = ("serious", "critical")

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)

RUN_AXE = """async () => {
    const r = await axe.run(document, {resultTypes: ['violations']});
    return r.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => ({target: n.target.join(' '), impact: n.impact,
                                  summary: n.failureSummary}))}));
}"""


# At 1280 px nothing scrolls sideways inside the page: every table fits (at 360 px a table may
# scroll in a named region: tests/browser/test_phone_layout.py).
SCROLLERS = """() => [...document.querySelectorAll('body *')].filter(e =>
    e.scrollWidth > e.clientWidth + 1 && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX)
).map(e => e.tagName.toLowerCase() + '.' + e.className + ' ' + e.clientWidth + '/' + e.scrollWidth)"""


@pytest.fixture(scope="module")
def template_db(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_copy(template_db, tmp_path_factory, today=TODAY, cases=120, seed=5)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wallclock, "now", lambda: NOW)


@pytest.fixture
def tab(browser, live_server) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="zh-CN", viewport={"width": WIDTHS[0], "height": 900})
    context.set_default_timeout(10000)
    page = context.new_page()
    page.base = live_server
    yield page
    context.close()


class Findings:
    """Violations per page and width; the report and the failure message."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.pages: list[dict[str, object]] = []

    def check(self, page, label: str) -> None:  # type: ignore[no-untyped-def]
        """Run axe on the page as it is, at each width."""
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(url=page.base + AXE_URL)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            violations = page.evaluate(RUN_AXE)
            scrollers = page.evaluate(SCROLLERS) if width == WIDTHS[0] else []
            self.pages.append(
                {
                    "page": label,
                    "url": page.url,
                    "width": width,
                    "violations": violations,
                    "scrolls sideways": scrollers,
                }
            )
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})

    def failures(self) -> list[str]:
        lines = []
        for entry in self.pages:
            for v in entry.get("violations", ()):  # type: ignore[attr-defined]
                if v["impact"] in FAILING:
                    for n in v["nodes"]:
                        lines.append(
                            f"{entry['page']} @{entry['width']}px: {v['id']} ({v['impact']}) "
                            f"{n['target']} — {v['help']}"
                        )
            for scroller in entry.get("scrolls sideways", ()):  # type: ignore[attr-defined]
                lines.append(f"{entry['page']} @{entry['width']}px: scrolls sideways: {scroller}")
        return lines

    def report(self) -> None:
        where = os.environ.get("AXE_REPORT")
        if where:
            Path(where).mkdir(parents=True, exist_ok=True)
            (Path(where) / f"{self.name}.json").write_text(
                json.dumps(self.pages, ensure_ascii=False, indent=1), encoding="utf-8"
            )

    def assert_clean(self) -> None:
        self.report()
        failures = self.failures()
        assert not failures, "\n".join([f"{len(failures)} serious/critical:", *failures])


def start(tab, role: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    tab.goto(tab.base + "/")
    login = LOGINS[role]
    if login:
        sign_in(tab, login)
    choose(tab, lang)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("role", sorted(LOGINS))
def test_main_pages_have_no_serious_violations(app: Flask, tab, role: str, lang: str) -> None:
    start(tab, role, lang)
    findings = Findings(f"{role}-{lang}")
    for path in role_pages(app, role):
        address = resolve(tab, path)
        if address is None:
            findings.pages.append({"page": path, "not reached": "no such item in the demo data"})
            continue
        response = tab.goto(tab.base + address)
        assert response is not None and response.status == 200, address
        findings.check(tab, address)
    assert len(findings.pages) >= 2 * 3
    findings.assert_clean()


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_forms_have_no_serious_violations(tab, name: str, lang: str) -> None:
    start(tab, REFUSED[name][0], lang)
    path = refuse(tab, name)
    findings = Findings(f"refused-{name}-{lang}")
    findings.check(tab, f"{path} (refused {name})")
    findings.assert_clean()


def test_every_page_is_checked_or_left_out(app: Flask) -> None:
    """A new page is checked by the test above unless it is left out on purpose."""
    from tests.access_matrix import ACCESS

    checked = {p.removeprefix("follow:") for role in LOGINS for p in role_pages(app, role)}
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            e = rule.endpoint
            if "GET" not in (rule.methods or ()) or e in LEFT_OUT:
                continue
            if e.startswith(("api.", "open311.")) or not ACCESS.get(e):
                continue
            where = e if rule.arguments else url_for(e)
            assert where in checked, f"{e}: add it to role_pages or to LEFT_OUT with a reason"
