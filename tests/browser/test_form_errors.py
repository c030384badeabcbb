"""Refused forms tell what is wrong where (issue 14 item 4): a summary at the top takes the
focus, each of its links leads to a field of the form, and each field in error says so
(aria-invalid="true") and is described by its message (aria-describedby). Checked on the main
forms: register, login, apply, password change, a clerk's action, admin forms."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.browser.role_pages import LOGINS, REFUSED, choose, refuse, sign_in
from tests.conftest import seeded_copy
from tracker.web import wallclock

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)

# What the page says about its errors, gathered in the browser.
ERRORS = """() => {
  const text = id => { const e = document.getElementById(id); return e ? e.textContent.trim() : null; };
  const summary = document.querySelector('.error-summary');
  return {
    focused: document.activeElement === summary,
    links: [...summary.querySelectorAll('a[href^="#"]')].map(a => {
      const id = a.getAttribute('href').slice(1);
      const target = document.getElementById(id);
      return {id, text: a.textContent.trim(), exists: !!target,
              invalid: target ? target.getAttribute('aria-invalid') : null};
    }),
    invalid: [...document.querySelectorAll('[aria-invalid="true"]')].map(e => ({
      id: e.id,
      described: (e.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean)
        .map(text).filter(t => t),
    })),
  };
}"""

# Forms whose refusal names fields (login with a wrong password has one message, no field).
WITH_FIELDS = sorted(set(REFUSED) - {"login"})


@pytest.fixture(scope="module")
def template_db(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_copy(template_db, tmp_path_factory, today=TODAY, cases=60, seed=5)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wallclock, "now", lambda: NOW)


@pytest.fixture
def tab(browser, live_server) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10000)
    page = context.new_page()
    page.base = live_server
    yield page
    context.close()


def open_as(tab, role: str, lang: str = "zh") -> None:  # type: ignore[no-untyped-def]
    tab.goto(tab.base + "/")
    login = LOGINS[role]
    if login:
        sign_in(tab, login)
    if lang != "zh":
        choose(tab, lang)


@pytest.mark.parametrize("name", WITH_FIELDS)
def test_a_refused_form_sums_up_its_errors_and_ties_each_to_its_field(tab, name: str) -> None:
    open_as(tab, REFUSED[name][0])
    refuse(tab, name)
    found = tab.evaluate(ERRORS)
    assert found["focused"], f"{name}: the focus is not on the error summary"
    assert found["links"], f"{name}: the summary links to no field"
    for link in found["links"]:
        assert link["exists"], f"{name}: the summary links to #{link['id']}, not on the page"
        assert link["text"]
    assert found["invalid"], f"{name}: no field is marked aria-invalid"
    for control in found["invalid"]:
        assert control["described"], f"{name}: #{control['id']} in error, described by nothing"
    # Each field the summary names is marked in error (or, for a group, its first choice).
    marked = {c["id"] for c in found["invalid"]}
    for link in found["links"]:
        assert link["invalid"] == "true" or link["id"] in marked, (name, link)


@pytest.mark.parametrize("name", ["register", "clerk-action"])
def test_a_link_of_the_summary_moves_the_focus_to_its_field(tab, name: str) -> None:
    open_as(tab, REFUSED[name][0])
    refuse(tab, name)
    link = tab.locator(".error-summary a[href^='#']").first
    field_id = str(link.get_attribute("href"))[1:]
    link.focus()
    tab.keyboard.press("Enter")
    assert tab.evaluate("() => document.activeElement.id") == field_id


def test_english_errors_are_summed_up_in_english(tab) -> None:
    open_as(tab, "anonymous", "en")
    refuse(tab, "register")
    summary = tab.locator(".error-summary")
    assert summary.get_attribute("role") == "alert"
    text = summary.inner_text()
    assert "：" not in text and not any("\u4e00" <= ch <= "\u9fff" for ch in text), text


def test_a_wrong_password_is_said_at_the_top_and_takes_the_focus(tab) -> None:
    open_as(tab, "anonymous")
    refuse(tab, "login")
    assert tab.evaluate("() => document.activeElement.classList.contains('error-summary')")
    assert tab.locator(".error-summary").inner_text().strip()
