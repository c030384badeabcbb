"""Every role's main pages on a 360 px phone, in Chinese and in English (issue 14 item 5):
nothing scrolls the page sideways, nothing scrolls sideways inside it unless it is a region
that says so (a label), and the menu keeps every entry in view, the citizen's messages (with
the unread count) included."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.conftest import seeded_copy
from tracker.services.demo import DEMO_PASSWORD
from tracker.web import wallclock

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)
PHONE = {"width": 360, "height": 740}

# Role: (demo login, main pages; "first:/x/" opens the first link under /x/ of the page before).
ROLES: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "anonymous": (None, ("/", "/services", "first:/services/", "/track", "/login", "/register")),
    "citizen": (
        "13900000001",
        ("/cases", "first:/cases/", "/notifications", "/services", "/account/password"),
    ),
    "clerk": ("clerk.cd.hf", ("/clerk/", "first:/clerk/cases/", "/clerk/notes", "/clerk/webhooks")),
    "supervisor": (
        "sup.all",
        (
            "/supervisor/",
            "first:/supervisor/regions/",
            "/supervisor/?group=office",
            "first:/supervisor/offices/",
            "/supervisor/clock",
            "/supervisor/ratings",
            "/supervisor/extensions",
            "/supervisor/workload",
        ),
    ),
    "admin": ("admin", ("/admin/",)),
}

# Elements that scroll sideways inside the page, unless they are a named region.
INNER_SCROLLERS = """() => [...document.querySelectorAll('body *')].filter(e =>
    e.scrollWidth > e.clientWidth + 1
    && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX)
    && !(e.getAttribute('role') === 'region'
         && (e.hasAttribute('aria-label') || e.hasAttribute('aria-labelledby')))
).map(e => e.tagName.toLowerCase() + '.' + e.className + ' ' + e.clientWidth + '/' + e.scrollWidth)"""

# What sticks out on the right of the screen (for the failure message).
STICKING_OUT = """() => [...document.querySelectorAll('body *')].filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > document.documentElement.clientWidth + 1 && !e.children.length;
}).slice(0, 5).map(e => e.tagName.toLowerCase() + '.' + e.className + ': ' + e.textContent.trim().slice(0, 40))"""


@pytest.fixture(scope="module")
def template_db(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_copy(template_db, tmp_path_factory, today=TODAY, cases=120, seed=5)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wallclock, "now", lambda: NOW)


@pytest.fixture
def phone(browser, live_server) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    context.set_default_timeout(8000)
    page = context.new_page()
    page.base = live_server
    yield page
    context.close()


def choose(page, lang: str) -> None:  # type: ignore[no-untyped-def]
    """The header's switch, as a person uses it."""
    page.locator(f"form.lang-switch button[value={lang}]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == ("en" if lang == "en" else "zh-Hans")


def sign_in(page, login: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(page.base + "/login")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form.auth-form input[type=submit], form.auth-form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, page.inner_text("main")[:300]


def first_link(page, prefix: str) -> str:  # type: ignore[no-untyped-def]
    hrefs = page.eval_on_selector_all("main a[href]", "els => els.map(e => e.getAttribute('href'))")
    for href in hrefs:
        path = href.split("?")[0]
        if path.startswith(prefix) and path != prefix and not path.endswith("/apply"):
            return str(href)
    raise AssertionError(f"no link under {prefix} on {page.url}")


def check_fits(page, path: str) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], (path, width, page.evaluate(STICKING_OUT))
    assert page.evaluate(INNER_SCROLLERS) == [], path
    # Every entry of the main menu is on the screen, none hidden in a sideways scroll.
    for link in page.locator("nav.site-nav a").all():
        box = link.bounding_box()
        assert box is not None and box["x"] >= 0, (path, link.inner_text())
        assert box["x"] + box["width"] <= PHONE["width"], (path, link.inner_text())


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("role", sorted(ROLES))
def test_main_pages_fit_a_phone(phone, role: str, lang: str) -> None:
    login, paths = ROLES[role]
    phone.goto(phone.base + "/")
    if login:
        sign_in(phone, login)
    choose(phone, lang)
    for path in paths:
        if path.startswith("first:"):
            path = first_link(phone, path.removeprefix("first:"))
        response = phone.goto(phone.base + path)
        assert response is not None and response.status == 200, path
        check_fits(phone, path)


@pytest.mark.parametrize(("lang", "label"), [("zh", "消息"), ("en", "Notifications")])
def test_the_citizens_messages_are_in_view_with_their_count(phone, lang: str, label: str) -> None:
    phone.goto(phone.base + "/")
    sign_in(phone, "13900000001")
    choose(phone, lang)
    messages = phone.locator("nav.site-nav a[href='/notifications']")
    assert messages.is_visible()
    assert label in messages.inner_text()
    box = messages.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert box["height"] >= 44  # a finger-sized target
    count = messages.locator(".nav-count")
    assert count.is_visible() and int(count.inner_text().split()[0]) > 0
    messages.click()
    phone.wait_for_url("**/notifications")
