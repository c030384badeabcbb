"""The calendar section: the years known, a schedule file refused line by line (what was sent
kept, nothing stored), the month-by-month preview, and the load — due dates that waited for
the year filled in, their applicants told, the change in the audit log, all or nothing; the
staff banner from 1 November while next year is not loaded."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.builders import NOW, admin, citizen, clerk, login_as, submit, supervisor
from tracker.domain.workflow import Action
from tracker.extensions import db
from tracker.models import Case, HolidayTable, Notification, OutboxMessage, User
from tracker.services import admin_changes, audit, calendar_admin
from tracker.services import cases as ops
from tracker.web import wallclock

FIXTURE = Path(__file__).parents[2] / "fixtures" / "holidays_2027_TEST_FIXTURE.json"


def at(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 2, 0, tzinfo=UTC)


@pytest.fixture
def now(monkeypatch):
    moment = {"now": NOW}  # Monday 2026-11-02
    monkeypatch.setattr(wallclock, "now", lambda: moment["now"])
    return moment


def waiting_case() -> Case:
    """A case accepted on 2026-12-01 with 45 working days: its due date runs into 2027."""
    case = submit("hrss-pension-transfer", citizen(), "510100-hrss", "510100-hrss")
    case = ops.act(case.id, Action.ACCEPT, clerk("510100-hrss"), at(date(2026, 12, 1)))
    assert case.due_on is None and case.due_pending_year == 2027
    return case


def stored_years() -> list[int]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(HolidayTable.year)))


def test_the_page_lists_the_years_and_where_they_come_from(app, client, now):
    login_as(client, admin())
    waiting_case()
    html = client.get("/admin/calendar").get_data(as_text=True)
    assert "系统自带（chinesecalendar）" in html  # 2026, 2025
    row_2027 = re.search(r"<th scope=\"row\">2027</th>(.*?)</tr>", html, re.S)
    assert row_2027 is not None
    assert "未载入" in row_2027.group(1) and ">1</td>" in row_2027.group(1)


def test_a_bad_file_is_refused_line_by_line_its_text_kept_and_nothing_stored(app, client, now):
    login_as(client, admin())
    text = (
        "{\n"
        '  "year": 2027,\n'
        '  "holidays": [\n'
        '    {"name": "元旦", "days": ["2027-01-01", "2026-12-31"]}\n'
        "  ],\n"
        '  "workdays": ["2027-02-08",\n'
        '               "2027-02-31"]\n'
        "}\n"
    )
    response = client.post("/admin/calendar", data={"text": text})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "第 4 行" in html and "2026-12-31 不在 2027 年内" in html
    assert "第 6 行" in html and "不是周六或周日" in html
    assert "第 7 行" in html and "不是真实存在的日期" in html
    textarea = re.search(r'<textarea[^>]*id="text"[^>]*>(.*?)</textarea>', html, re.S)
    assert textarea is not None and "2027-02-31" in textarea.group(1)
    assert "未保存任何内容" in html
    assert stored_years() == []


def test_broken_json_names_its_line(app, client, now):
    login_as(client, admin())
    response = client.post(
        "/admin/calendar",
        data={"file": (io.BytesIO(b'{\n  "year": 2027,\n  "holidays": [,\n}'), "2027.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "第 3 行" in html and "不是有效的 JSON" in html
    assert stored_years() == []


def test_an_uploaded_file_is_previewed_month_by_month_and_not_stored(app, client, now):
    login_as(client, admin())
    waiting_case()
    response = client.post(
        "/admin/calendar",
        data={"file": (io.BytesIO(FIXTURE.read_bytes()), "2027.json")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2027 年安排预览" in html and "TEST FIXTURE" in html
    assert html.count('<table class="calendar-month">') == 12
    assert html.count('<td class="cal-day cal-holiday"') == 10
    assert html.count('<td class="cal-day cal-workday"') == 2
    assert 'title="测试假期"' in html
    assert "等待 2027 年日历的办件：1 件" in html
    assert stored_years() == []


def test_confirming_stores_the_year_fills_the_waiting_due_date_and_tells_the_applicant(
    app, client, now
):
    boss = admin()
    login_as(client, boss)
    case = waiting_case()
    table = calendar_admin.check_file(FIXTURE.read_text(encoding="utf-8")).table
    assert table is not None
    response = client.post(
        "/admin/calendar/confirm", data={"table": calendar_admin.file_text(table)}
    )
    assert response.status_code == 302
    assert "1 件办件的承诺办结日期已算出" in client.get("/admin/calendar").get_data(as_text=True)
    db.session.rollback()
    row = db.session.get(HolidayTable, 2027)
    assert row is not None and row.loaded_by == boss.username and "TEST FIXTURE" in row.source
    case = db.session.get(Case, case.id)
    # 45 working days from 2026-12-01, 元旦 (Jan 1) off in the fixture.
    assert case.due_pending_year is None and case.due_on == date(2027, 2, 3)
    note = db.session.scalars(
        sa.select(Notification)
        .where(Notification.case_id == case.id)
        .order_by(Notification.id.desc())
    ).first()
    assert note is not None and note.user_id == case.applicant_id
    assert note.title == "承诺办结日期已确定" and "2027年02月03日" in note.body
    assert db.session.scalar(
        sa.select(sa.func.count(OutboxMessage.id)).where(OutboxMessage.notification_id == note.id)
    )
    (change,) = admin_changes.history("calendar", 2027)
    assert change.change == "loaded" and change.actor == boss.username
    assert "2027-02-08" in change.after["holidays"] and change.before == {}
    assert audit.verify().ok
    # The applicant reads it in English too.
    reader = app.test_client()
    login_as(reader, db.session.get(User, case.applicant_id))
    english = reader.get("/notifications?lang=en").get_data(as_text=True)
    assert "Due date fixed" in english and "your due date has been computed" in english


def test_the_load_is_all_or_nothing(app, client, now, monkeypatch):
    login_as(client, admin())
    case = waiting_case()

    def broken(*args, **kwargs):
        raise RuntimeError("the notice could not be written")

    monkeypatch.setattr(calendar_admin, "_tell_applicant", broken)
    table = calendar_admin.check_file(FIXTURE.read_text(encoding="utf-8")).table
    assert table is not None
    with pytest.raises(RuntimeError):
        calendar_admin.load_year(table, actor=admin(), now=NOW, ip=None)
    assert stored_years() == []
    assert db.session.get(Case, case.id).due_pending_year == 2027
    assert admin_changes.history("calendar", 2027) == []


def test_a_tampered_confirmation_is_checked_again(app, client, now):
    login_as(client, admin())
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    data["workdays"].append("2027-03-03")  # a Wednesday
    response = client.post("/admin/calendar/confirm", data={"table": json.dumps(data)})
    assert response.status_code == 422 and "不是周六或周日" in response.get_data(as_text=True)
    assert stored_years() == []


BANNER = "2027 年法定节假日安排尚未载入"


def test_the_banner_shows_staff_from_november_while_next_year_is_missing(app, now):
    people = {"/clerk/": clerk("510100-hf"), "/supervisor/": supervisor(None), "/admin/": admin()}
    for page, user in people.items():
        now["now"] = datetime(2026, 10, 31, 15, 59, tzinfo=UTC)  # 23:59 on Oct 31 in Beijing
        browser = app.test_client()
        login_as(browser, user)
        assert BANNER not in browser.get(page).get_data(as_text=True), page
        now["now"] = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)  # Nov 1, 00:00 in Beijing
        html = browser.get(page).get_data(as_text=True)
        assert BANNER in html, page
        assert ('href="/admin/calendar"' in html) is (page == "/admin/"), page
    applicant = app.test_client()
    login_as(applicant, citizen())
    assert BANNER not in applicant.get("/cases").get_data(as_text=True)


def test_the_banner_goes_once_next_year_is_loaded(app, client, now):
    login_as(client, clerk("510100-hf"))
    assert BANNER in client.get("/clerk/").get_data(as_text=True)
    table = calendar_admin.check_file(FIXTURE.read_text(encoding="utf-8")).table
    assert table is not None
    calendar_admin.load_year(table, actor=admin(), now=NOW, ip=None)
    assert BANNER not in client.get("/clerk/").get_data(as_text=True)


def test_citizen_pages_say_why_the_due_date_is_not_fixed(app, client, now):
    case = waiting_case()
    login_as(client, case.applicant)
    html = client.get(f"/cases/{case.tracking_number}").get_data(as_text=True)
    assert "2027 年法定节假日安排尚未公布" in html and "自动算出承诺办结日期并通知您" in html
    anonymous = app.test_client()
    track = anonymous.post(
        "/track", data={"number": case.tracking_number, "last4": case.applicant.phone[-4:]}
    ).get_data(as_text=True)
    assert "2027 年法定节假日安排尚未公布，公布并载入后系统自动算出" in track


def test_a_broken_calendar_lookup_leaves_the_banner_out_not_the_page(app, client, now, monkeypatch):
    login_as(client, clerk("510100-hf"))

    def broken():
        raise sa.exc.OperationalError("SELECT", {}, Exception("database is locked"))

    monkeypatch.setattr(calendar_admin, "get_calendar", broken)
    page = client.get("/clerk/")
    assert page.status_code == 200 and BANNER not in page.get_data(as_text=True)
