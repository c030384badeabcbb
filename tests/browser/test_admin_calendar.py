"""In Chromium: a case accepted on 2026-12-01 with 45 working days waits for the 2027 calendar
(its applicant reads why); an admin uploads a 2027 table — a TEST FIXTURE, not the State
Council's schedule — sees it month by month, confirms, and the case has its due date; the
applicant is told. At 1280 and 360 px, nothing wider than the screen."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.browser.conftest import RESULTS
from tests.builders import PASSWORD, admin, citizen, clerk, submit
from tracker.domain.workflow import Action
from tracker.extensions import db
from tracker.services import cases as ops
from tracker.web import wallclock

FIXTURE = Path(__file__).parents[1] / "fixtures" / "holidays_2027_TEST_FIXTURE.json"
MOMENT = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Beijing


def sign_in(page, login: str) -> None:
    page.goto(page.base + "/login")
    page.get_by_label("手机号 / 身份证号 / 用户名").fill(login)
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录", exact=True).click()


def fits(page, width: int) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, f"page is {wide}px wide at {width}px"


@pytest.mark.parametrize("width", [1280, 360])
def test_an_admin_loads_2027_and_the_waiting_case_gets_its_due_date(page, app, monkeypatch, width):
    monkeypatch.setattr(wallclock, "now", lambda: MOMENT)
    applicant = citizen()
    case = submit("hrss-pension-transfer", applicant, "510100-hrss", "510100-hrss")
    accepted_at = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    case = ops.act(case.id, Action.ACCEPT, clerk("510100-hrss"), accepted_at)
    assert case.due_pending_year == 2027
    number, phone, boss = case.tracking_number, applicant.phone, admin()
    boss_name = boss.username
    db.session.commit()
    page.set_viewport_size({"width": width, "height": 900})
    RESULTS.mkdir(exist_ok=True)

    # The applicant reads why the due date is not fixed yet.
    sign_in(page, phone)
    page.goto(page.base + f"/cases/{number}")
    body = page.inner_text("body")
    assert "待定：2027 年法定节假日安排尚未公布" in body and "自动算出承诺办结日期" in body
    page.context.clear_cookies()  # the next person signs in on this browser

    # The admin sees the banner, follows it, uploads the fixture and previews it.
    sign_in(page, boss_name)
    banner = page.locator(".calendar-banner")
    assert "2027 年法定节假日安排尚未载入" in banner.inner_text()
    with page.expect_navigation():
        banner.get_by_role("link").click()
    assert page.url.endswith("/admin/calendar")
    page.set_input_files("#file", str(FIXTURE))
    with page.expect_navigation():
        page.get_by_role("button", name="预览").click()
    assert "2027 年安排预览" in page.inner_text("h1")
    assert "TEST FIXTURE" in page.inner_text("main")
    assert page.locator("table.calendar-month").count() == 12
    assert page.locator("td.cal-holiday").count() == 10
    assert page.locator("td.cal-workday").count() == 2
    assert "等待 2027 年日历的办件：1 件" in page.inner_text("main")
    page.screenshot(path=str(RESULTS / f"admin-calendar-preview-{width}.png"), full_page=True)
    fits(page, width)
    with page.expect_navigation():
        page.get_by_role("button", name="确认载入 2027 年安排").click()
    assert "1 件办件的承诺办结日期已算出并通知申请人" in page.inner_text(".flashes")
    assert page.locator(".calendar-banner").count() == 0
    row = page.locator("table.calendar-years tr", has_text="2027")
    assert "已载入的安排表" in row.inner_text() and boss_name in row.inner_text()
    page.screenshot(path=str(RESULTS / f"admin-calendar-{width}.png"), full_page=True)
    fits(page, width)
    page.context.clear_cookies()  # the next person signs in on this browser

    # The case has its due date, and the applicant was told.
    sign_in(page, phone)
    page.goto(page.base + f"/cases/{number}")
    due = page.locator("tr", has_text="承诺办结日期").first.inner_text()
    assert date(2027, 2, 3).isoformat() in due and "待定" not in due
    page.goto(page.base + "/notifications")
    assert "承诺办结日期已确定" in page.inner_text("main")
    assert "2027年02月03日" in page.inner_text("main")
    assert page.problems == []


@pytest.mark.parametrize("width", [1280, 360])
def test_a_bad_file_shows_its_errors_by_line_and_keeps_the_text(page, app, monkeypatch, width):
    monkeypatch.setattr(wallclock, "now", lambda: MOMENT)
    boss_name = admin().username
    db.session.commit()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, boss_name)
    page.goto(page.base + "/admin/calendar")
    bad = FIXTURE.read_text(encoding="utf-8").replace('"2027-02-20"', '"2027-02-24"')
    page.fill("#text", bad)
    with page.expect_navigation():
        page.get_by_role("button", name="预览").click()
    errors = page.inner_text(".error-summary")
    assert "第 8 行" in errors and "2027-02-24 不是周六或周日" in errors
    assert "2027-02-24" in page.input_value("#text")
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"admin-calendar-errors-{width}.png"), full_page=True)
    fits(page, width)
    assert page.problems == []
