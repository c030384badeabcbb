"""Dates, times and numbers in the page's language (issue 14 item 1; tracker/web/formats.py).

English pages show English dates (``Nov 2, 2026``, ``Nov 2, 2026, 10:00 AM``), Chinese pages
the numeric dates of government systems (``2026-11-02``, ``2026-11-02 10:00``); times are
Beijing time. Machine formats (``<time datetime>``, date inputs, CSV) stay ISO.

The clock the views read is frozen at ``NOW`` (Monday 2026-11-02, 10:00 in Shanghai)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from flask import g
from flask_babel import refresh

from tests.builders import NOW, citizen, clerk, login_as, office, submit, supervisor
from tracker.web import formats, wallclock

CD_HF = "510100-hf"
AHDT = "hf-retirement-withdrawal"


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wallclock, "now", lambda: NOW)


def visible(html: str) -> str:
    """The page's text without tags, scripts and attributes (``<time datetime>`` keeps ISO)."""
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def page(app, user, url: str, lang: str) -> str:  # type: ignore[no-untyped-def]
    client = app.test_client()
    client.set_cookie("lang", lang)
    login_as(client, user)
    response = client.get(url, query_string={"lang": lang})
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_the_clerk_s_case_page_writes_dates_in_the_page_s_language(app):
    me = clerk(CD_HF)
    case = submit(AHDT, citizen(), CD_HF, CD_HF)
    url = f"/clerk/cases/{case.tracking_number}"
    english = visible(page(app, me, url, "en"))
    assert "Nov 2, 2026, 10:00 AM" in english  # submitted at (Beijing time)
    assert "Nov 2, 2026" in english  # received on
    assert "2026-11-02" not in english and "年" not in english
    chinese = visible(page(app, me, url, "zh"))
    assert "2026-11-02 10:00" in chinese and "Nov" not in chinese


def test_the_citizen_s_case_page_writes_dates_in_the_page_s_language(app):
    applicant = citizen()
    case = submit(AHDT, applicant, CD_HF, CD_HF)
    html = page(app, applicant, f"/cases/{case.tracking_number}", "en")
    english = visible(html)
    assert "Nov 2, 2026, 10:00 AM" in english and "2026-11-02" not in english
    assert 'datetime="2026-11-02T02:00:00+00:00"' in html  # the machine-readable moment


def test_the_supervisor_s_office_page_writes_its_range_and_table_dates_in_english(app):
    submit(AHDT, citizen(), CD_HF, CD_HF)
    url = f"/supervisor/offices/{office(CD_HF).id}"
    html = page(app, supervisor("510000"), url, "en")
    english = visible(html)
    assert "Oct 4, 2026" in english and "Nov 2, 2026" in english  # the default 30 days
    assert "2026-10-04" not in english
    assert 'value="2026-10-04"' in html  # the date input keeps ISO
    chinese = visible(page(app, supervisor("510000"), url, "zh"))
    assert "2026-10-04" in chinese and "Oct" not in chinese


def test_the_formats_by_language(app):
    moment = datetime(2026, 11, 2, 2, 5, 9, tzinfo=UTC)  # 10:05:09 in Shanghai
    naive = datetime(2026, 11, 2, 2, 5, 9)  # stored UTC without its zone
    expected = {
        "zh": {
            "datetime": "2026-11-02 10:05",
            "date": "2026-11-02",
            "seconds": "2026-11-02 10:05:09",
            "month_day": "11-02",
            "month_day_seconds": "11-02 10:05:09",
            "number": "12,345",
            "decimal": "3.5",
            "percent": "95.3%",
            "size": "1.5 MB",
        },
        "en": {
            "datetime": "Nov 2, 2026, 10:05\u202fAM",
            "date": "Nov 2, 2026",
            "seconds": "Nov 2, 2026, 10:05:09\u202fAM",
            "month_day": "Nov 2",
            "month_day_seconds": "Nov 2, 10:05:09\u202fAM",
            "number": "12,345",
            "decimal": "3.5",
            "percent": "95.3%",
            "size": "1.5 MB",
        },
    }
    for lang, want in expected.items():
        with app.test_request_context(f"/?lang={lang}"):
            refresh()  # the app context is the test's: drop the language looked up before
            g.pop("_tongban_babel", None)
            got = {
                "datetime": formats.local_time(moment),
                "date": formats.day(date(2026, 11, 2)),
                "seconds": formats.local_time(moment, "seconds"),
                "month_day": formats.day(date(2026, 11, 2), "month_day"),
                "month_day_seconds": formats.local_time(moment, "month_day_seconds"),
                "number": formats.number(12345),
                "decimal": formats.number(3.456, 1),
                "percent": formats.percent(0.9534),
                "size": formats.filesize(1536 * 1024),
            }
            assert got == want, lang
            assert formats.local_time(naive) == got["datetime"]  # naive is UTC
            assert formats.local_time(moment, "%Y-%m-%d") == got["date"]  # the old spelling
            assert formats.local_time(None) == formats.day(None) == formats.number(None) == ""
    with pytest.raises(ValueError):
        formats.local_time(moment, "%d/%m")


def test_a_date_in_a_message_is_written_in_the_reader_s_language(app):
    from tracker.domain.messages import due_date_fixed_notice
    from tracker.services import wording

    _title, lines = due_date_fixed_notice(
        service_name="社会保障卡补换", tracking_number="1", year=2027, due_on=date(2027, 1, 8)
    )
    assert wording.render(lines[-1], "en") == "Promised completion date: Jan 8, 2027."
    assert wording.render(lines[-1], None) == "承诺办结日期：2027年01月08日。"
