"""The one fallback for a year whose official calendar is not loaded: estimates (the at-risk
window, backlog ages) count Monday to Friday; code that must not estimate gets the days the
tables cover and where they stop."""

from __future__ import annotations

from datetime import date, timedelta

from tracker.domain.calendar import WorkingCalendar
from tracker.services.calendar import (
    add_working_days_or_estimate,
    is_working_day_or_estimate,
    known_working_days,
)
from tracker.services.workqueue import risk_until

CAL = WorkingCalendar()
UNKNOWN = date(2099, 6, 5)  # a Friday in a year no table covers


def test_a_known_year_answers_from_the_calendar():
    national_day = date(2026, 10, 1)  # a Thursday, and a holiday
    assert not is_working_day_or_estimate(national_day, CAL)
    assert add_working_days_or_estimate(date(2026, 9, 30), 1, CAL) == CAL.add_working_days(
        date(2026, 9, 30), 1
    )


def test_an_unknown_year_counts_monday_to_friday():
    assert is_working_day_or_estimate(UNKNOWN, CAL)
    assert not is_working_day_or_estimate(UNKNOWN + timedelta(days=1), CAL)
    assert add_working_days_or_estimate(UNKNOWN, 1, CAL) == date(2099, 6, 8)  # the Monday
    assert add_working_days_or_estimate(UNKNOWN, 6, CAL) == date(2099, 6, 15)
    assert risk_until(UNKNOWN, 3, CAL) == date(2099, 6, 10)


def test_known_working_days_stop_where_the_tables_stop():
    days, last = known_working_days(date(2099, 1, 1), date(2099, 1, 10), CAL)
    assert (days, last) == ([], None)
    days, last = known_working_days(date(2026, 9, 28), date(2026, 10, 9), CAL)
    assert last == date(2026, 10, 9)
    assert days == [
        d
        for d in (date(2026, 9, 28) + timedelta(days=i) for i in range(12))
        if CAL.is_working_day(d)
    ]
