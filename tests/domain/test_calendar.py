"""Working-day calendar: the package's 2025/2026 schedules, admin tables, unknown years."""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.domain.calendar import (
    DEFAULT_HOLIDAY_NAME,
    WorkingCalendar,
    YearTable,
    parse_year_table,
    year_table_to_dict,
)
from tracker.domain.errors import DomainError, InvalidYearTable, UnknownCalendarYear

D = date

# chinesecalendar 1.11.0 knows 2004–2026. If an upgrade teaches it 2027, move this forward.
UNKNOWN_YEAR = 2027

# A MADE-UP 2027 schedule for tests only: it is NOT the official State Council notice.
# Shape: New Year's Day on Friday 2027-01-01 with the weekend, one fake "test festival"
# (Mon 2027-02-08 .. Fri 2027-02-12 plus the weekends around it) and one fake adjusted
# working Sunday 2027-02-07.
FAKE_2027: dict[str, Any] = {
    "year": 2027,
    "source": "测试用虚构安排（非官方）",
    "holidays": [
        {"name": "元旦", "days": ["2027-01-01", "2027-01-02", "2027-01-03"]},
        {
            "name": "测试节",
            "days": [
                "2027-02-06",
                "2027-02-08",
                "2027-02-09",
                "2027-02-10",
                "2027-02-11",
                "2027-02-12",
                "2027-02-13",
                "2027-02-14",
            ],
        },
    ],
    "workdays": ["2027-02-07"],
}


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar()


# --- the package, checked against the State Council notices ----------------------------------

OFFICIAL_DAYS = [
    # 2026 Spring Festival: Feb 15–23 off, Sat Feb 14 and Sat Feb 28 are working days (调休).
    (D(2026, 2, 13), True, "2026 春节前周五"),
    (D(2026, 2, 14), True, "2026 春节调休 周六上班"),
    (D(2026, 2, 15), False, "2026 春节 首日"),
    (D(2026, 2, 17), False, "2026 春节 初一"),
    (D(2026, 2, 20), False, "2026 春节 周五"),
    (D(2026, 2, 23), False, "2026 春节 末日 周一"),
    (D(2026, 2, 24), True, "2026 春节后 首个工作日"),
    (D(2026, 2, 28), True, "2026 春节调休 周六上班 2"),
    (D(2026, 3, 1), False, "2026 普通周日"),
    # 2026 National Day: Oct 1–7 off; Sun Sep 20 and Sat Oct 10 working.
    (D(2026, 9, 19), False, "2026 普通周六"),
    (D(2026, 9, 20), True, "2026 国庆调休 周日上班"),
    (D(2026, 10, 1), False, "2026 国庆 首日"),
    (D(2026, 10, 5), False, "2026 国庆 周一"),
    (D(2026, 10, 7), False, "2026 国庆 末日"),
    (D(2026, 10, 8), True, "2026 国庆后 首个工作日"),
    (D(2026, 10, 10), True, "2026 国庆调休 周六上班"),
    (D(2026, 10, 11), False, "2026 国庆后 周日"),
    # 2025 Spring Festival (Jan 28–Feb 4 off): Sun Jan 26 and Sat Feb 8 working.
    (D(2025, 1, 26), True, "2025 春节调休 周日上班"),
    (D(2025, 1, 28), False, "2025 春节 除夕"),
    (D(2025, 2, 4), False, "2025 春节 末日"),
    (D(2025, 2, 5), True, "2025 春节后 首个工作日"),
    (D(2025, 2, 8), True, "2025 春节调休 周六上班"),
    # 2025 National Day + Mid-autumn (Oct 1–8 off): Sun Sep 28 and Sat Oct 11 working.
    (D(2025, 9, 28), True, "2025 国庆调休 周日上班"),
    (D(2025, 10, 8), False, "2025 国庆中秋 末日"),
    (D(2025, 10, 9), True, "2025 国庆后 首个工作日"),
    (D(2025, 10, 11), True, "2025 国庆调休 周六上班"),
]


@pytest.mark.parametrize(
    ("day", "working"), [(d, w) for d, w, _ in OFFICIAL_DAYS], ids=[i for *_, i in OFFICIAL_DAYS]
)
def test_official_schedule(cal: WorkingCalendar, day: date, working: bool) -> None:
    assert cal.is_working_day(day) is working


NEXT_WORKING = [
    (D(2026, 2, 13), D(2026, 2, 14), "周五到调休周六"),
    (D(2026, 2, 14), D(2026, 2, 24), "跨过整个春节"),
    (D(2026, 9, 30), D(2026, 10, 8), "跨过国庆"),
    (D(2026, 10, 9), D(2026, 10, 10), "国庆后调休周六"),
    (D(2026, 3, 6), D(2026, 3, 9), "普通周末"),
    (D(2026, 3, 7), D(2026, 3, 9), "从周六出发"),
    (D(2025, 9, 27), D(2025, 9, 28), "2025 调休周日"),
]


@pytest.mark.parametrize(
    ("day", "expected"), [(a, b) for a, b, _ in NEXT_WORKING], ids=[i for *_, i in NEXT_WORKING]
)
def test_next_working_day(cal: WorkingCalendar, day: date, expected: date) -> None:
    assert cal.next_working_day(day) == expected


ADD = [
    (D(2026, 3, 2), 0, D(2026, 3, 2), "0 天返回自身"),
    (D(2026, 3, 7), 0, D(2026, 3, 7), "0 天 周六也返回自身"),
    (D(2026, 3, 2), 5, D(2026, 3, 9), "5 天跨普通周末"),
    (D(2026, 9, 29), 1, D(2026, 9, 30), "国庆前 1 天"),
    (D(2026, 9, 29), 2, D(2026, 10, 8), "跨国庆"),
    (D(2026, 9, 29), 4, D(2026, 10, 10), "落在调休周六"),
    (D(2026, 2, 12), 3, D(2026, 2, 24), "跨春节"),
    (D(2025, 9, 26), 1, D(2025, 9, 28), "2025 调休周日"),
]


@pytest.mark.parametrize(
    ("start", "n", "expected"), [(a, n, b) for a, n, b, _ in ADD], ids=[i for *_, i in ADD]
)
def test_add_working_days(cal: WorkingCalendar, start: date, n: int, expected: date) -> None:
    assert cal.add_working_days(start, n) == expected


BETWEEN = [
    (D(2026, 2, 13), D(2026, 2, 24), 2, "春节：14 日调休 + 24 日"),
    (D(2026, 9, 30), D(2026, 10, 10), 3, "国庆：8、9、10 日"),
    (D(2026, 3, 2), D(2026, 3, 2), 0, "同一天"),
    (D(2026, 3, 9), D(2026, 3, 2), 0, "结束早于开始"),
    (D(2026, 3, 1), D(2026, 3, 2), 1, "不含开始日、含结束日"),
    (D(2026, 3, 2), D(2026, 3, 8), 4, "开始日周一不计"),
]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [(a, b, n) for a, b, n, _ in BETWEEN],
    ids=[i for *_, i in BETWEEN],
)
def test_working_days_between(cal: WorkingCalendar, start: date, end: date, expected: int) -> None:
    assert cal.working_days_between(start, end) == expected


@given(
    start=st.dates(min_value=D(2025, 1, 1), max_value=D(2026, 9, 30)),
    n=st.integers(min_value=0, max_value=40),
)
def test_add_and_between_agree(start: date, n: int) -> None:
    cal = WorkingCalendar()
    end = cal.add_working_days(start, n)
    assert cal.working_days_between(start, end) == n
    if n > 0:
        assert cal.is_working_day(end)
        # Nothing earlier would do: the day before `end` still has one working day fewer.
        assert cal.working_days_between(start, end - timedelta(days=1)) == n - 1


# --- unknown years and admin tables -----------------------------------------------------------


def test_package_range(cal: WorkingCalendar) -> None:
    assert cal.covers(2004)
    assert cal.covers(2026)
    assert not cal.covers(2003)
    assert not cal.covers(UNKNOWN_YEAR)
    assert set(range(2004, 2027)) <= cal.known_years()
    assert UNKNOWN_YEAR not in cal.known_years()


@pytest.mark.parametrize(
    "day", [D(2027, 1, 4), D(2027, 1, 1), D(2027, 1, 2), D(2003, 6, 2)], ids=str
)
def test_unknown_year_raises(cal: WorkingCalendar, day: date) -> None:
    with pytest.raises(UnknownCalendarYear) as err:
        cal.is_working_day(day)
    assert err.value.year == day.year
    assert err.value.code == "unknown_calendar_year"
    assert isinstance(err.value, DomainError)


def test_crossing_into_unknown_year_raises(cal: WorkingCalendar) -> None:
    with pytest.raises(UnknownCalendarYear) as err:
        cal.next_working_day(D(2026, 12, 31))
    assert err.value.year == UNKNOWN_YEAR


def test_loaded_table_makes_year_known() -> None:
    table = parse_year_table(FAKE_2027)
    cal = WorkingCalendar({2027: table})
    assert cal.covers(2027)
    assert 2027 in cal.known_years()
    assert cal.source_of(2027) == "table"
    assert cal.source_of(2026) == "package"
    assert cal.is_working_day(D(2027, 1, 1)) is False  # listed holiday (a Friday)
    assert cal.is_working_day(D(2027, 1, 4)) is True  # ordinary Monday
    assert cal.is_working_day(D(2027, 2, 7)) is True  # listed working Sunday
    assert cal.is_working_day(D(2027, 2, 10)) is False  # listed weekday holiday
    assert cal.is_working_day(D(2027, 3, 6)) is False  # ordinary Saturday
    # Crossing the year boundary now works: Thu 2026-12-31 → Mon 2027-01-04.
    assert cal.next_working_day(D(2026, 12, 31)) == D(2027, 1, 4)
    assert cal.add_working_days(D(2027, 2, 5), 2) == D(2027, 2, 15)
    assert not cal.covers(2028)
    with pytest.raises(UnknownCalendarYear):
        cal.is_working_day(D(2028, 1, 3))


def test_table_overrides_package_for_its_year() -> None:
    # Made-up 2026 table in which Sat 2026-02-14 is NOT a working day and Mon 2026-03-02 is
    # a holiday: proves the table, not the package, answers for 2026.
    fake_2026 = YearTable(2026, frozenset({D(2026, 3, 2)}), frozenset(), "测试用")
    cal = WorkingCalendar({2026: fake_2026})
    assert cal.is_working_day(D(2026, 2, 14)) is False
    assert cal.is_working_day(D(2026, 3, 2)) is False
    assert cal.is_working_day(D(2026, 2, 17)) is True  # the package's 春节 no longer applies
    assert cal.is_working_day(D(2025, 2, 8)) is True  # other years still use the package


def test_tables_only() -> None:
    cal = WorkingCalendar({2027: parse_year_table(FAKE_2027)}, use_package=False)
    assert cal.known_years() == frozenset({2027})
    assert not cal.covers(2026)
    with pytest.raises(UnknownCalendarYear):
        cal.is_working_day(D(2026, 3, 2))
    assert cal.is_working_day(D(2027, 1, 4))


def test_mismatched_table_key_refused() -> None:
    with pytest.raises(InvalidYearTable):
        WorkingCalendar({2028: parse_year_table(FAKE_2027)})


def test_datetime_refused(cal: WorkingCalendar) -> None:
    with pytest.raises(TypeError):
        cal.is_working_day(datetime(2026, 3, 9, 10, 0))


def test_cache_returns_same_answers() -> None:
    cal = WorkingCalendar()
    first = [cal.is_working_day(D(2026, 10, 1) + timedelta(days=i)) for i in range(15)]
    second = [cal.is_working_day(D(2026, 10, 1) + timedelta(days=i)) for i in range(15)]
    assert first == second
    assert first.count(True) == 7  # Oct 8, 9, 10 (Sat, 调休), 12, 13, 14, 15


# --- parsing the JSON table -------------------------------------------------------------------


def test_parse_year_table() -> None:
    table = parse_year_table(FAKE_2027)
    assert table.year == 2027
    assert table.source == "测试用虚构安排（非官方）"
    assert D(2027, 2, 6) in table.holidays
    assert table.workdays == frozenset({D(2027, 2, 7)})
    assert len(table.holidays) == 11
    assert table.holiday_names[D(2027, 2, 10)] == "测试节"
    assert table.holiday_names[D(2027, 1, 1)] == "元旦"


def test_round_trip() -> None:
    table = parse_year_table(FAKE_2027)
    data = year_table_to_dict(table)
    assert data == FAKE_2027
    assert parse_year_table(data) == table


def test_unnamed_holidays_get_default_name() -> None:
    table = YearTable(2027, frozenset({D(2027, 1, 1)}), frozenset())
    data = year_table_to_dict(table)
    assert data["holidays"] == [{"name": DEFAULT_HOLIDAY_NAME, "days": ["2027-01-01"]}]


def _with(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(FAKE_2027)
    for key, value in changes.items():
        if value is _DROP:
            del data[key]
        else:
            data[key] = value
    return data


_DROP = object()

BAD_TABLES: list[tuple[Any, str, str]] = [
    (["not", "a", "dict"], "JSON 对象", "not_a_mapping"),
    (_with(year="2027"), "整数", "year_is_string"),
    (_with(year=True), "整数", "year_is_bool"),
    (_with(year=20270), "范围", "year_out_of_range"),
    (_with(holidays=_DROP), "holidays", "missing_holidays"),
    (_with(workdays=_DROP), "workdays", "missing_workdays"),
    (_with(holidays=[]), "不能为空", "empty_holidays"),
    (_with(holidays={"name": "元旦"}), "列表", "holidays_not_list"),
    (_with(workday=["2027-02-07"]), "无法识别", "unknown_key_typo"),
    (_with(source=2027), "source", "source_not_text"),
    (
        _with(holidays=[{"name": "元旦", "days": ["2026-12-31"]}]),
        "不在 2027 年内",
        "holiday_outside_year",
    ),
    (_with(workdays=["2028-01-08"]), "不在 2027 年内", "workday_outside_year"),
    (_with(workdays=["2027-01-02"]), "同时", "both_holiday_and_workday"),
    (_with(workdays=["2027-02-05"]), "不是周六或周日", "workday_on_a_friday"),
    (
        _with(holidays=[{"name": "元旦", "days": ["2027-02-30"]}]),
        "不是真实存在的日期",
        "february_30",
    ),
    (_with(holidays=[{"name": "元旦", "days": ["2027/01/01"]}]), "YYYY-MM-DD", "slashes"),
    (_with(holidays=[{"name": "元旦", "days": ["20270101"]}]), "YYYY-MM-DD", "compact_iso"),
    (_with(holidays=[{"name": "元旦", "days": [20270101]}]), "YYYY-MM-DD", "number_not_text"),
    (_with(workdays=["2027-W05-7"]), "YYYY-MM-DD", "iso_week_date"),
    (
        _with(holidays=[{"name": "元旦", "days": ["２０２７-01-01"]}]),
        "YYYY-MM-DD",
        "fullwidth_digits",
    ),
    (_with(holidays=[{"name": "", "days": ["2027-01-01"]}]), "名称", "empty_name"),
    (_with(holidays=[{"days": ["2027-01-01"]}]), "名称", "missing_name"),
    (_with(holidays=[{"name": "元旦", "days": []}]), "不能为空", "empty_days"),
    (
        _with(holidays=[{"name": "元旦", "days": ["2027-01-01"], "note": "x"}]),
        "无法识别",
        "unknown_block_key",
    ),
    (
        _with(
            holidays=[
                {"name": "元旦", "days": ["2027-01-01"]},
                {"name": "春节", "days": ["2027-01-01"]},
            ]
        ),
        "重复",
        "holiday_listed_twice",
    ),
    (_with(workdays=["2027-02-07", "2027-02-07"]), "重复", "workday_listed_twice"),
]


@pytest.mark.parametrize(
    ("data", "fragment"), [(d, f) for d, f, _ in BAD_TABLES], ids=[i for *_, i in BAD_TABLES]
)
def test_parse_year_table_rejects(data: Any, fragment: str) -> None:
    with pytest.raises(InvalidYearTable) as err:
        parse_year_table(data)
    assert err.value.code == "invalid_year_table"
    assert fragment in err.value.message


def test_year_table_validates_on_construction() -> None:
    with pytest.raises(InvalidYearTable, match="不是周六或周日"):
        YearTable(2027, frozenset(), frozenset({D(2027, 3, 3)}))
    with pytest.raises(InvalidYearTable, match="不在 2027 年内"):
        YearTable(2027, frozenset({D(2026, 12, 31)}), frozenset())
    with pytest.raises(InvalidYearTable, match="非日期"):
        YearTable(2027, frozenset({datetime(2027, 1, 1)}), frozenset())
