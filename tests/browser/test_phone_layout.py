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


# Buttons, selects, fields and links of the staff pages' toolbars lower than 44 px.
TOOLBARS = (
    ".clerk-tabs, .clerk-filters, .clerk-pager, .clerk-bulk-bar, .sv-tabs, .sv-filters, .sv-presets, "
    ".admin-menu, .pager, .form-actions, .lang-switch, .account, .clerk-head-links"
)
SMALL_TARGETS = f"""() => [...document.querySelectorAll(
    '{TOOLBARS}'.split(', ').map(t => t + ' :is(a, button, select, input:not([type=hidden], [type=radio], [type=checkbox]), summary)').join(', ')
)].filter(e => {{
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height < 44 && !e.closest('.visually-hidden');
}}).map(e => e.tagName.toLowerCase() + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().height)
        + 'px: ' + (e.textContent || e.name || '').trim().slice(0, 20))"""


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
    # The main menu is folded behind its button; opened, every entry is on the screen, none
    # hidden in a sideways scroll.
    toggle = page.locator("nav.site-nav .nav-toggle")
    assert toggle.is_visible(), path
    assert on_screen(toggle) and toggle.bounding_box()["height"] >= 44, path  # type: ignore[index]
    toggle.click()
    for link in page.locator("nav.site-nav a").all():
        assert link.is_visible() and on_screen(link), (path, link.inner_text())
        assert link.bounding_box()["height"] >= 44, (path, link.inner_text())  # type: ignore[index]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
    toggle.click()
    # Touch targets of the toolbars (filters, tabs, presets, pagers) are finger-sized.
    small = page.evaluate(SMALL_TARGETS)
    assert small == [], (path, small)


def on_screen(locator) -> bool:  # type: ignore[no-untyped-def]
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


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
    # Shown beside the folded menu's button, not behind it.
    assert phone.locator("nav.site-nav .nav-toggle").get_attribute("aria-expanded") == "false"
    assert messages.is_visible()
    assert label in messages.inner_text()
    box = messages.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert box["height"] >= 44  # a finger-sized target
    count = messages.locator(".nav-count")
    assert count.is_visible() and int(count.inner_text().split()[0]) > 0
    messages.click()
    phone.wait_for_url("**/notifications")


@pytest.mark.parametrize(("lang", "label"), [("zh", "菜单"), ("en", "Menu")])
def test_the_menu_button_opens_and_closes_the_menu(phone, lang: str, label: str) -> None:
    phone.goto(phone.base + "/")
    sign_in(phone, "clerk.cd.hf")
    choose(phone, lang)
    toggle = phone.locator("nav.site-nav .nav-toggle")
    assert toggle.inner_text().strip() == label
    controlled = phone.locator("#" + str(toggle.get_attribute("aria-controls")))
    workbench = controlled.locator("a[href='/clerk/']")
    assert toggle.get_attribute("aria-expanded") == "false" and not workbench.is_visible()
    # With the keyboard: Enter opens, Tab reaches the entries, Escape closes and the focus is
    # back on the button.
    toggle.focus()
    phone.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true" and workbench.is_visible()
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.closest('#site-menu') !== null")
    phone.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false" and not workbench.is_visible()
    assert phone.evaluate("document.activeElement.classList.contains('nav-toggle')")
    # A click opens it, an entry leads to its page.
    toggle.click()
    workbench.click()
    phone.wait_for_url("**/clerk/")
    # On a wide screen there is no button: the menu is always open.
    phone.set_viewport_size({"width": 1280, "height": 800})
    assert not toggle.is_visible() and workbench.is_visible()


def test_without_javascript_the_menu_wraps_and_shows_every_entry(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="zh-CN", viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/")
    assert not page.locator("nav.site-nav .nav-toggle").is_visible()
    for link in page.locator("nav.site-nav a").all():
        assert link.is_visible() and on_screen(link), link.inner_text()
    context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_dashboards_charts_reflow_on_a_phone(phone, lang: str) -> None:
    phone.goto(phone.base + "/")
    sign_in(phone, "sup.all")
    choose(phone, lang)
    for path in ("/supervisor/", "/supervisor/clock", "/supervisor/ratings"):
        phone.goto(phone.base + path)
        charts = phone.locator("main figure svg, main .sv-chart-scroll svg")
        assert charts.count(), path
        for chart in charts.all():
            box = chart.bounding_box()
            assert box is not None and box["x"] >= 0, path
            assert box["x"] + box["width"] <= PHONE["width"], (path, box)
            # Each chart has a text alternative: its name, or a table of its figures beside it.
            named = chart.get_attribute("aria-label") or chart.get_attribute("aria-labelledby")
            assert named or chart.get_attribute("role") == "img", path


# A checkbox whose label does not start on its line, a button whose word breaks over lines.
CHECK_APART = """() => [...document.querySelectorAll('main .field-check')].filter(f => {
    const box = f.querySelector('input[type=checkbox]'), label = f.querySelector('label');
    if (!box || !label) return false;
    return label.getBoundingClientRect().top >= box.getBoundingClientRect().bottom;
}).map(f => f.textContent.trim().slice(0, 30))"""
# A required mark (*) alone at the start of a line, cut from the question it belongs to.
LONE_MARKS = """() => [...document.querySelectorAll('main .req')].filter(r => {
    const box = r.getBoundingClientRect(), parent = r.parentElement.getBoundingClientRect();
    return box.width > 0 && box.left - parent.left < 8;
}).map(r => r.parentElement.textContent.trim().slice(0, 30))"""
BROKEN_BUTTONS = """() => [...document.querySelectorAll('main button')].filter(b => {
    const r = b.getBoundingClientRect(), s = getComputedStyle(b);
    const line = parseFloat(s.lineHeight) || parseFloat(s.fontSize) * 1.5;
    return r.width > 0 && b.textContent.trim().length <= 4
        && r.height - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom) > line * 1.5;
}).map(b => b.textContent.trim())"""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_checkboxes_and_marks_stay_beside_their_labels_and_short_buttons_on_one_line(
    phone, lang: str
) -> None:
    """Issue 14's look at every page: at 360 px the apply form's declaration box stood alone
    above its text and a pre-check question's * went to a line of its own; on the clerk's case page the 分派 button broke into two lines beside the
    colleague list (at 1280 px too)."""
    phone.goto(phone.base + "/")
    sign_in(phone, "13900000001")
    choose(phone, lang)
    phone.goto(phone.base + "/services/hf-transfer/apply")
    assert phone.evaluate(LONE_MARKS) == []
    for name in phone.eval_on_selector_all(
        "main input[type=radio]", "els => [...new Set(els.map(e => e.name))]"
    ):
        phone.locator(f"input[name='{name}']").first.check()
    phone.locator("main form button[type=submit]").last.click()
    phone.wait_for_load_state()
    assert phone.locator("#declaration").count() == 1
    assert phone.evaluate(CHECK_APART) == []
    phone.context.clear_cookies()
    sign_in(phone, "clerk.cd.hf")
    choose(phone, lang)
    phone.goto(phone.base + "/clerk/")
    case = first_link(phone, "/clerk/cases/")
    for width in (360, 1280):
        phone.set_viewport_size({"width": width, "height": 800})
        phone.goto(phone.base + case)
        assert phone.locator("#assignee").count() == 1, case
        assert phone.evaluate(BROKEN_BUTTONS) == [], (width, case)
