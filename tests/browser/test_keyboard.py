"""Keyboard-only journeys in Chromium (issue #14 item 4, WCAG 2.1.1, 2.4.1, 2.4.3, 2.4.7).

A citizen skips to the content, signs in, finds the housing-fund transfer by typing in the
search box, answers its pre-check, fills the form (the office list narrowed by typing the city
in its filter box, the office chosen by arrow keys, the declaration by Space, the ID card
through the file chooser opened with Space), forgets the declaration once (focus comes back on
the error summary, nothing lost), files, and opens the case; a clerk signs in, opens that case
from the queue, opens and closes a move's <details> by Enter and accepts the case (受理) — all
with Tab, Shift+Tab, Enter, Space, arrow keys and typing: no click, no fill, and no address
opened except the first page and the login page a clerk types in.

Every Tab stop on the way is checked: the focused element shows a focus indicator (an outline
or a box-shadow) and is visible (not zero-sized, not off screen). ``tab_to`` fails with the
list of stops it passed when it does not find what it looks for. A second test walks every
Tab stop of the main pages of each role the same way (at 1280 and 360 px).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.builders import NOW, PASSWORD, admin, citizen, clerk, submit, supervisor
from tracker.extensions import db
from tracker.models import Case, Office

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

Stop = dict[str, Any]

# What the focused element is and whether its focus can be seen: role, accessible name (a
# close approximation: aria-label, aria-labelledby, <label>s, button value, text, title,
# placeholder), and the computed outline / box-shadow while it has focus.
_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) {
    return {tag: 'body', role: 'none', name: '', visible: false, indicator: false,
            described: 'body', rect: [], href: '', inForm: null, inFooter: false};
  }
  const text = s => (s || '').replace(/\\s+/g, ' ').trim();
  const tag = el.tagName.toLowerCase();
  const type = (el.getAttribute('type') || '').toLowerCase();
  let name = el.getAttribute('aria-label') || '';
  if (!name && el.getAttribute('aria-labelledby')) {
    name = el.getAttribute('aria-labelledby').split(/\\s+/)
      .map(id => (document.getElementById(id) || {}).innerText || '').join(' ');
  }
  if (!name && el.labels && el.labels.length) {
    name = Array.from(el.labels).map(l => l.innerText).join(' ');
  }
  if (!name && tag === 'input' && ['submit', 'button', 'reset'].includes(type)) { name = el.value; }
  if (!name && !['input', 'select', 'textarea'].includes(tag)) { name = el.innerText; }
  if (!name) {
    name = el.getAttribute('title') || el.getAttribute('placeholder') || el.getAttribute('alt') || '';
  }
  const inputRoles = {checkbox: 'checkbox', radio: 'radio', submit: 'button', button: 'button',
                      reset: 'button', file: 'file', search: 'searchbox'};
  const role = el.getAttribute('role') || (
    tag === 'a' && el.hasAttribute('href') ? 'link'
    : tag === 'button' || tag === 'summary' ? 'button'
    : tag === 'select' ? 'combobox'
    : tag === 'textarea' ? 'textbox'
    : tag === 'input' ? (inputRoles[type] || 'textbox')
    : tag);
  const cs = getComputedStyle(el);
  const transparent = c => /rgba\\(.*,\\s*0\\)$/.test(c) || c === 'transparent';
  const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0
    && !transparent(cs.outlineColor);
  const shadow = !!cs.boxShadow && cs.boxShadow !== 'none';
  const r = el.getBoundingClientRect();
  const visible = r.width >= 2 && r.height >= 2 && cs.visibility !== 'hidden'
    && parseFloat(cs.opacity) > 0 && r.bottom > 0 && r.right > 0
    && r.left < window.innerWidth && r.top < window.innerHeight;
  const form = el.closest('form');
  const inFooter = !!el.closest('footer');
  return {
    tag, type, role, name: text(name), id: el.id || '', elName: el.getAttribute('name') || '',
    value: el.value === undefined ? null : el.value,
    checked: el.checked === undefined ? null : el.checked,
    required: !!el.required, inForm: form ? (form.className || '') : null,
    href: el.getAttribute('href') || '', inFooter,
    indicator: outline || shadow, visible,
    described: `${role} "${text(name).slice(0, 60)}" <${tag}${el.id ? '#' + el.id : ''}`
      + `${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : ''}>`,
    style: `outline ${cs.outlineStyle} ${cs.outlineWidth} ${cs.outlineColor}; shadow ${cs.boxShadow}`,
    rect: [Math.round(r.x), Math.round(r.y), Math.round(r.width), Math.round(r.height)],
  };
}"""


def focused(page) -> Stop:  # type: ignore[no-untyped-def]
    """The focused element, described (see ``_FOCUSED``); its focus is checked on the way."""
    stop: Stop = page.evaluate(_FOCUSED)
    problem = focus_problem(stop)
    if problem and problem not in page.focus_problems:
        page.focus_problems.append(f"{page.url}: {problem}")
    return stop


def focus_problem(stop: Stop) -> str | None:
    if stop["tag"] == "body":
        return None
    if not stop["visible"]:
        return f"focus on something invisible: {stop['described']} at {stop['rect']}"
    if not stop["indicator"]:
        return f"no visible focus indicator: {stop['described']} ({stop['style']})"
    return None


def press(page, key: str) -> Stop:  # type: ignore[no-untyped-def]
    page.keyboard.press(key)
    return focused(page)


def named(name: str, role: str | None = None, *, exact: bool = False) -> Callable[[Stop], bool]:
    """A predicate on a Tab stop: its accessible name is (or contains) ``name``."""

    def match(stop: Stop) -> bool:
        if role is not None and stop["role"] != role:
            return False
        return stop["name"] == name if exact else name in stop["name"]

    match.__doc__ = f"{role or 'any'} named {name!r}"
    return match


def tab_to(page, predicate: Callable[[Stop], bool], max_steps: int = 60, key: str = "Tab") -> Stop:  # type: ignore[no-untyped-def]
    """Press ``key`` (Tab, or Shift+Tab) until the focused element matches ``predicate``;
    fail with the stops visited when it is not found within ``max_steps``."""
    visited: list[str] = []
    for _ in range(max_steps):
        stop = press(page, key)
        if predicate(stop):
            return stop
        visited.append(stop["described"])
    raise AssertionError(
        f"{predicate.__doc__ or predicate} not reached by {key} in {max_steps} steps on "
        f"{page.url}; stops:\n  " + "\n  ".join(visited)
    )


def walk_tab_stops(page, max_steps: int = 200) -> list[Stop]:  # type: ignore[no-untyped-def]
    """Every Tab stop of the page once round, from the top (each checked by ``focused``)."""
    page.keyboard.press("Escape")
    stops: list[Stop] = []
    first: str | None = None
    for _ in range(max_steps):
        stop = press(page, "Tab")
        key = stop["described"] + str(stop["rect"])
        if stop["tag"] == "body" or key == first:
            break
        first = first or key
        stops.append(stop)
    return stops


# Things that look clickable (a pointer cursor) but that no key reaches: neither a control,
# nor a label of one, nor inside one, nor given a tabindex.
_MOUSE_ONLY = """() => Array.from(document.querySelectorAll('body *')).filter(el => {
  if (getComputedStyle(el).cursor !== 'pointer') { return false; }
  if (el.parentElement && getComputedStyle(el.parentElement).cursor === 'pointer') { return false; }
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) { return false; }
  return !el.closest('a[href], button, summary, label, input, select, textarea, [tabindex]');
}).map(el => `<${el.tagName.toLowerCase()}${el.className ? '.' + String(el.className).trim().split(/\\s+/).join('.') : ''}> "${(el.innerText || '').trim().slice(0, 40)}"`)"""


def mouse_only(page) -> list[str]:  # type: ignore[no-untyped-def]
    found: list[str] = page.evaluate(_MOUSE_ONLY)
    return found


def enter_and_wait(page, key: str = "Enter") -> None:  # type: ignore[no-untyped-def]
    with page.expect_navigation():
        page.keyboard.press(key)


def choose_radio(page, label: str, max_steps: int = 40) -> None:  # type: ignore[no-untyped-def]
    """Tab into the next radio group, move to ``label`` with the arrow keys, check it with
    Space (arrows in a radio group check as they move; Space checks the first one)."""
    stop = tab_to(page, lambda s: s["role"] == "radio", max_steps)
    group = stop["elName"]
    for _ in range(10):
        if stop["name"] == label:
            break
        stop = press(page, "ArrowDown")
        assert stop["elName"] == group, f"arrow keys left the group {group}: {stop}"
    else:
        raise AssertionError(f"no radio {label!r} in group {group}")
    stop = press(page, "Space")
    assert stop["checked"], stop


def select_by_keys(page, label: str) -> None:  # type: ignore[no-untyped-def]
    """In the focused <select>, move to the option ``label`` with ArrowDown / ArrowUp."""
    options: list[str] = page.evaluate(
        "() => Array.from(document.activeElement.options).map(o => o.text.trim())"
    )
    assert label in options, options
    for _ in range(len(options) * 2):
        now: int = page.evaluate("() => document.activeElement.selectedIndex")
        target = options.index(label)
        if now == target:
            return
        press(page, "ArrowDown" if target > now else "ArrowUp")
    raise AssertionError(f"could not select {label!r} by arrow keys")


def fill_apply_form(page, office: str, upload: Path, *, declare: bool = True) -> None:  # type: ignore[no-untyped-def]
    """Tab through the apply form as a person would, from its first control to 提交申请,
    answering each control on the way (``answer``); then press Enter on the submit button."""
    done: set[str] = set()
    for _ in range(120):
        stop = press(page, "Tab")
        if stop["inForm"] is None or "apply-form" not in stop["inForm"]:
            continue
        key = stop["id"] or stop["elName"]
        if stop["role"] == "button" and "提交申请" in stop["name"]:
            enter_and_wait(page)
            return
        if key not in done:  # the segments of a date box are Tab stops of one element
            done.add(key)
            answer(page, stop, office, upload, declare=declare)
    raise AssertionError("the apply form's submit button was never reached")


def answer(page, stop: Stop, office: str, upload: Path, *, declare: bool) -> None:  # type: ignore[no-untyped-def]
    """Type into an empty required box; narrow the office list by typing the office's city in
    its filter box, then choose the office by arrow keys; pick the first option of other
    required lists; upload ``upload`` for the ID card through the file chooser opened with
    Space; tick the declaration with Space (unless ``declare`` is false)."""
    empty_required = stop["required"] and not stop["value"]
    if stop["id"] == "competent-filter":
        page.keyboard.type(office[:2])  # the city: 成都, 重庆
        chosen = page.locator("#competent option:checked").inner_text()
        assert chosen.startswith(office[:2]), chosen  # the list follows what is typed
    elif stop["id"] == "competent":
        select_by_keys(page, office)
    elif stop["role"] == "combobox" and empty_required:
        assert press(page, "ArrowDown")["value"], "ArrowDown chose nothing"
    elif stop["type"] == "date" and not stop["value"]:
        page.keyboard.type("20261001")
        assert focused(page)["value"] == "2026-10-01", focused(page)
    elif stop["role"] == "textbox" and empty_required:
        page.keyboard.type({"tel": "13812345678", "number": "3"}.get(stop["type"], "测试内容1"))
    elif stop["role"] == "radio" and stop["required"] and not stop["checked"]:
        assert press(page, "Space")["checked"]
    elif stop["role"] == "file" and stop["elName"] == "file_id_card":
        with page.expect_file_chooser() as chooser:
            page.keyboard.press("Space")
        chooser.value.set_files(str(upload))
        assert page.evaluate("() => document.activeElement.files.length") == 1
    elif stop["id"] == "declaration" and declare:
        assert press(page, "Space")["checked"]


def test_a_citizen_applies_and_a_clerk_accepts_with_the_keyboard_only(
    page, app: Flask, tmp_path: Path
):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    scan = tmp_path / "身份证.pdf"
    scan.write_bytes(PDF)
    applicant = citizen()
    # Lives in 渝北区 (so the Chongqing centre is chosen in advance), works in Chengdu now.
    lead = db.session.scalars(sa.select(Office).where(Office.code == "510100-hf")).one()
    accepting = clerk("510100-hf")
    db.session.commit()
    page.focus_problems = []
    # Playwright turns on the interception of file choosers without waiting for the browser
    # (fire and forget) when a listener first subscribes: turned on now, long before the
    # Space that opens the chooser, not in a race with it inside expect_file_chooser.
    page.on("filechooser", lambda chooser: None)

    # The home page: the skip link is the first Tab stop, shows itself, and moves focus to main.
    page.goto(page.base + "/")
    skip = press(page, "Tab")
    assert skip["href"] == "#main" and skip["name"] == "跳到主要内容", skip
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    after = press(page, "Tab")
    assert page.evaluate("() => !!document.activeElement.closest('main')"), after

    # Back up to the header's 登录 and sign in.
    tab_to(page, named("登录", "link", exact=True), key="Shift+Tab")
    enter_and_wait(page)
    tab_to(page, named("手机号 / 身份证号 / 用户名", "textbox"))
    page.keyboard.type(applicant.phone)
    tab_to(page, named("密码", "textbox"))
    page.keyboard.type(PASSWORD)
    enter_and_wait(page)
    assert page.url.endswith("/cases"), page.url

    # Find the service by typing in the catalogue's search box.
    tab_to(page, named("事项目录", "link", exact=True))
    enter_and_wait(page)
    tab_to(page, named("按关键词搜索事项"))
    page.keyboard.type("公积金转移")
    enter_and_wait(page)
    tab_to(page, named("住房公积金异地转移接续", "link", exact=True))
    enter_and_wait(page)
    assert page.url.endswith("/services/hf-transfer"), page.url

    # Its pre-check: a radio group per question, answered with arrows and Space.
    tab_to(page, named("在线申请", "link"))
    enter_and_wait(page)
    choose_radio(page, "是，已离职")
    choose_radio(page, "是，已封存")
    choose_radio(page, "是，已开户缴存")
    tab_to(page, named("确认情形，填写申请", "button"))
    enter_and_wait(page)

    # The form, top to bottom, with the keyboard, but the declaration forgotten: the page
    # comes back with its errors, focus on their summary, and nothing typed or uploaded lost.
    fill_apply_form(page, lead.name_zh, scan, declare=False)
    assert page.get_by_role("heading", name="请修改以下内容后再提交").is_visible()
    summary = focused(page)
    assert "error-summary" in summary["described"], summary
    assert page.get_by_text("已上传：身份证.pdf").is_visible()
    assert page.locator("#competent option:checked").inner_text() == lead.name_zh
    declaration = tab_to(page, lambda s: s["id"] == "declaration")
    assert not declaration["checked"]
    assert press(page, "Space")["checked"]
    tab_to(page, named("提交申请", "button"), max_steps=3)
    enter_and_wait(page)

    # The receipt, then the case page.
    assert page.url.endswith("/receipt"), (page.url, page.inner_text("main")[:800])
    number = page.locator(".receipt-number .tracking").inner_text().strip()
    tab_to(page, named("查看办件", "link", exact=True))
    enter_and_wait(page)
    assert page.url.endswith(f"/cases/{number}"), page.url
    assert page.get_by_role("heading", level=1).is_visible()
    assert number in page.inner_text("main")

    # The clerk, in a browser of their own, types the login address and signs in.
    context = page.context.browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(8000)
    try:
        desk = context.new_page()
        desk.on("pageerror", lambda e: page.problems.append(str(e)))
        desk.on(
            "console",
            lambda m: (
                m.type == "error" and "status of 422" not in m.text and page.problems.append(m.text)
            ),
        )
        desk.focus_problems = page.focus_problems
        desk.goto(page.base + "/login")
        tab_to(desk, named("手机号 / 身份证号 / 用户名", "textbox"))
        desk.keyboard.type(accepting.username)
        assert press(desk, "Tab")["name"].startswith("密码")
        desk.keyboard.type(PASSWORD)
        enter_and_wait(desk)
        assert desk.url.endswith("/clerk/"), desk.url

        # The queue lists the case; open it and accept it.
        tab_to(desk, named(number, "link", exact=True), max_steps=120)
        enter_and_wait(desk)
        assert desk.url.endswith(f"/clerk/cases/{number}"), desk.url
        # A move with fields is a <details>: Enter opens it, its fields come next in the Tab
        # order, Enter on its summary closes it again.
        tab_to(desk, named("不予受理", "button", exact=True), max_steps=120)
        assert not desk.evaluate("() => document.activeElement.parentElement.open")
        press(desk, "Enter")
        assert desk.evaluate("() => document.activeElement.parentElement.open")
        inside = press(desk, "Tab")
        assert desk.evaluate(
            "() => !!document.activeElement.closest('details.clerk-action[open]')"
        ), inside
        assert press(desk, "Shift+Tab")["name"] == "不予受理"
        press(desk, "Enter")
        assert not desk.evaluate("() => document.activeElement.parentElement.open")
        tab_to(desk, named("受理", "button", exact=True), max_steps=120, key="Shift+Tab")
        enter_and_wait(desk, "Space")
        assert desk.get_by_text("已完成：受理").is_visible(), desk.inner_text("main")[:800]
        badges = (
            desk.get_by_role("heading", level=1)
            .locator("xpath=following-sibling::p[1]")
            .inner_text()
        )
        assert "已受理" in badges, badges
    finally:
        context.close()

    db.session.rollback()
    case = db.session.scalars(sa.select(Case).where(Case.tracking_number == number)).one()
    assert case.accepted_at is not None
    assert [a.original_name for a in case.attachments] == ["身份证.pdf"]
    assert page.focus_problems == [], "\n".join(page.focus_problems)
    assert page.problems == [], page.problems


# ---- every Tab stop of the main pages of each role ------------------------------------------

PAGES = {
    "anonymous": ["/", "/services", "/services/hf-transfer", "/track", "/login", "/register"],
    "citizen": [
        "/cases",
        "/cases/{number}",
        "/services/hf-transfer/apply",
        "/services/hf-transfer/apply?pc_left_employer=yes&pc_account_sealed=no&pc_account_opened=yes",
        "/materials",
        "/notifications",
    ],
    "clerk": ["/clerk/", "/clerk/cases/{number}", "/clerk/rectifications"],
    "supervisor": ["/supervisor/", "/supervisor/extensions", "/supervisor/workload"],
    "admin": ["/admin/", "/admin/services", "/admin/calendar", "/admin/staff"],
}


@pytest.mark.parametrize(
    ("role", "width"), [(role, 1280) for role in PAGES] + [("anonymous", 360), ("citizen", 360)]
)
def test_every_tab_stop_of_the_main_pages_shows_its_focus(page, role: str, width: int):
    """Tab once round each page, at desktop width and on a phone: the skip link comes first and
    moves focus to main, every stop is visible and shows focus (a menu folded away on a phone
    must not leave its links in the Tab order), Tab reaches the footer and gets out again (no
    trap), and nothing that looks clickable is out of the keyboard's reach; then the same
    with every <details> of the page open, so that what they hold is walked too."""
    page.set_viewport_size({"width": width, "height": 800})
    applicant = citizen()
    case = submit("hf-transfer", applicant, "500112-hf", "500112-hf", now=NOW)
    user = {
        "citizen": applicant,
        "clerk": clerk("500112-hf"),
        "supervisor": supervisor("510000"),
        "admin": admin(),
    }.get(role)
    db.session.commit()
    if user is not None:
        page.goto(page.base + "/login")
        page.locator("input[name=login]").fill(user.phone or user.username or "")
        page.locator("input[name=password]").fill(PASSWORD)
        enter_and_wait(page)
        assert not page.url.endswith("/login"), page.url
    page.focus_problems = []
    report: list[str] = []
    for path in PAGES[role]:
        page.goto(page.base + path.format(number=case.tracking_number))
        stops = walk_tab_stops(page)
        report += [f"{path}: looks clickable, no key reaches it: {m}" for m in mouse_only(page)]
        if not stops or stops[0]["href"] != "#main":
            report.append(f"{path}: the first Tab stop is not the skip link: {stops[:1]}")
        if len(stops) >= 199:
            report.append(f"{path}: Tab never came round (a focus trap?)")
        elif not stops[-1]["inFooter"]:
            report.append(f"{path}: Tab stopped before the footer, at {stops[-1]['described']}")
        if page.evaluate(
            "() => { const shut = document.querySelectorAll('details:not([open])');"
            " shut.forEach(d => { d.open = true; }); return shut.length; }"
        ):
            walk_tab_stops(page)
        page.goto(page.base + path.format(number=case.tracking_number))
        press(page, "Tab")
        page.keyboard.press("Enter")
        if page.evaluate("() => document.activeElement.id") != "main":
            report.append(f"{path}: the skip link does not move focus to main")
    assert report + page.focus_problems == [], "\n".join(report + page.focus_problems)
    assert page.problems == [], page.problems
