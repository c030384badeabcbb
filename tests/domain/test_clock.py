"""The legal clock: due dates, pauses, extensions, due states, the 5-day rule (Art. 32)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.domain.calendar import WorkingCalendar, YearTable
from tracker.domain.clock import (
    DueState,
    Pause,
    acceptance_deadline,
    clock_start,
    due_date,
    due_state,
    is_deemed_accepted,
    working_days_left,
    working_days_used,
)
from tracker.domain.errors import InvalidPause, InvalidTimeLimit, UnknownCalendarYear

D = date
CAL = WorkingCalendar()


def sup(start: date, end: date | None) -> Pause:
    return Pause(start, end, "supplement")


def special(start: date, end: date | None) -> Pause:
    return Pause(start, end, "special_procedure")


# A MADE-UP 2027 table for tests only (not the official schedule): 元旦 Jan 1–3 off,
# everything else follows Monday–Friday.
FAKE_2027 = YearTable(
    2027,
    frozenset({D(2027, 1, 1), D(2027, 1, 2), D(2027, 1, 3)}),
    frozenset(),
    "测试用虚构安排（非官方）",
)


# --- clock start ------------------------------------------------------------------------------

CLOCK_START = [
    (D(2026, 3, 5), None, D(2026, 3, 5), "无补正"),
    (D(2026, 3, 5), D(2026, 3, 3), D(2026, 3, 3), "材料先到，以材料补齐日为受理日"),
    (D(2026, 3, 5), D(2026, 3, 5), D(2026, 3, 5), "同日"),
    (D(2026, 3, 5), D(2026, 3, 9), D(2026, 3, 5), "受理在前"),
]


@pytest.mark.parametrize(
    ("accepted", "arrived", "expected"),
    [(a, b, c) for a, b, c, _ in CLOCK_START],
    ids=[i for *_, i in CLOCK_START],
)
def test_clock_start(accepted: date, arrived: date | None, expected: date) -> None:
    assert clock_start(accepted, arrived) == expected


# --- due dates --------------------------------------------------------------------------------

DUE = [
    # accepted, promised, pauses, extension, expected due
    (D(2026, 3, 2), 5, [], 0, D(2026, 3, 9), "周一受理 5 个工作日 → 下周一"),
    (D(2026, 3, 6), 1, [], 0, D(2026, 3, 9), "周五受理 1 天 → 周一"),
    (D(2026, 3, 7), 1, [], 0, D(2026, 3, 9), "周六受理（网办）→ 周一"),
    (D(2026, 3, 2), 0, [], 0, D(2026, 3, 2), "即办件 0 天 → 当天"),
    (D(2026, 3, 7), 0, [], 0, D(2026, 3, 7), "即办件 0 天 周六受理也是当天"),
    (D(2026, 3, 2), 5, [], 3, D(2026, 3, 12), "延长 3 个工作日"),
    (D(2026, 3, 2), 0, [], 2, D(2026, 3, 4), "即办件经批准延长 2 天"),
    (D(2026, 9, 29), 2, [], 0, D(2026, 10, 8), "跨国庆"),
    (D(2026, 9, 29), 4, [], 0, D(2026, 10, 10), "落在国庆调休周六"),
    (D(2026, 2, 12), 3, [], 0, D(2026, 2, 24), "跨春节（含 2 月 14 日调休）"),
    (D(2026, 9, 21), 5, [], 0, D(2026, 9, 29), "跨中秋（无暂停）"),
    (
        D(2026, 9, 21),
        5,
        [sup(D(2026, 9, 23), D(2026, 10, 9))],
        0,
        D(2026, 10, 13),
        "补正暂停跨中秋和国庆",
    ),
    (
        D(2026, 3, 2),
        5,
        [sup(D(2026, 3, 3), D(2026, 3, 5))],
        0,
        D(2026, 3, 11),
        "暂停 3/4、3/5 两个工作日，顺延两天",
    ),
    (
        D(2026, 3, 2),
        5,
        [sup(D(2026, 3, 3), D(2026, 3, 3))],
        0,
        D(2026, 3, 9),
        "同日开始结束的暂停不扣天",
    ),
    (
        D(2026, 3, 2),
        5,
        [sup(D(2026, 3, 3), D(2026, 3, 5)), special(D(2026, 3, 4), D(2026, 3, 10))],
        0,
        D(2026, 3, 16),
        "重叠暂停只算一次",
    ),
    (
        D(2026, 3, 2),
        5,
        [sup(D(2026, 2, 20), D(2026, 3, 2))],
        0,
        D(2026, 3, 9),
        "受理前的补正不影响计时",
    ),
    (
        D(2026, 3, 2),
        5,
        [sup(D(2026, 3, 6), D(2026, 3, 8))],
        0,
        D(2026, 3, 9),
        "暂停只覆盖周末 不顺延",
    ),
    (
        D(2026, 3, 2),
        5,
        [special(D(2026, 3, 4), D(2026, 3, 5))],
        2,
        D(2026, 3, 12),
        "特别程序加延长",
    ),
]


@pytest.mark.parametrize(
    ("accepted", "promised", "pauses", "extension", "expected"),
    [row[:5] for row in DUE],
    ids=[row[5] for row in DUE],
)
def test_due_date(
    accepted: date, promised: int, pauses: list[Pause], extension: int, expected: date
) -> None:
    assert due_date(accepted, promised, pauses, extension, CAL) == expected


@pytest.mark.parametrize(
    "pauses",
    [
        [sup(D(2026, 3, 3), None)],
        [sup(D(2026, 3, 3), D(2026, 3, 4)), special(D(2026, 3, 6), None)],
        [sup(D(2026, 3, 10), None)],  # opened after the would-be due date: still unknown
    ],
    ids=["open_supplement", "closed_then_open_special", "open_after_due"],
)
def test_open_pause_means_no_due_date(pauses: list[Pause]) -> None:
    assert due_date(D(2026, 3, 2), 5, pauses, 0, CAL) is None


def test_open_pause_same_day_service_is_also_undetermined() -> None:
    assert due_date(D(2026, 3, 2), 0, [sup(D(2026, 3, 2), None)], 0, CAL) is None


def test_deadline_crossing_into_unknown_year() -> None:
    with pytest.raises(UnknownCalendarYear) as err:
        due_date(D(2026, 12, 21), 20, [], 0, CAL)
    assert err.value.year == 2027
    # With an admin-loaded (here: made-up) 2027 table the same case gets a due date.
    # Dec 22–25, 28–31 = 8 days; Jan 4–8 = 13, 11–15 = 18, 18 = 19, 19 = 20.
    cal = WorkingCalendar({2027: FAKE_2027})
    assert due_date(D(2026, 12, 21), 20, [], 0, cal) == D(2027, 1, 19)


def test_deadline_inside_known_year_needs_no_next_year() -> None:
    # Dec 21 + 5 working days = Dec 28: 2027 is never consulted.
    assert due_date(D(2026, 12, 21), 5, [], 0, CAL) == D(2026, 12, 28)


@pytest.mark.parametrize(
    ("promised", "extension"), [(-1, 0), (5, -1)], ids=["negative_promised", "negative_ext"]
)
def test_negative_limits_refused(promised: int, extension: int) -> None:
    with pytest.raises(InvalidTimeLimit):
        due_date(D(2026, 3, 2), promised, [], extension, CAL)


def test_pause_validation() -> None:
    with pytest.raises(InvalidPause, match="早于"):
        sup(D(2026, 3, 5), D(2026, 3, 4))
    with pytest.raises(InvalidPause, match="未知"):
        Pause(D(2026, 3, 5), None, "lunch")  # type: ignore[arg-type]
    assert sup(D(2026, 3, 5), None).is_open
    p = sup(D(2026, 3, 5), D(2026, 3, 9))
    assert not p.covers(D(2026, 3, 5))
    assert p.covers(D(2026, 3, 6))
    assert p.covers(D(2026, 3, 9))
    assert not p.covers(D(2026, 3, 10))


_pause_strategy = st.builds(
    lambda start, length, kind: Pause(start, start + timedelta(days=length), kind),
    st.dates(min_value=D(2025, 1, 1), max_value=D(2025, 12, 31)),
    st.integers(min_value=0, max_value=40),
    st.sampled_from(["supplement", "special_procedure"]),
)


@given(
    accepted=st.dates(min_value=D(2025, 1, 1), max_value=D(2025, 12, 31)),
    promised=st.integers(min_value=0, max_value=30),
    extension=st.integers(min_value=0, max_value=10),
    pauses=st.lists(_pause_strategy, max_size=3),
)
def test_due_date_consumes_exactly_the_limit(
    accepted: date, promised: int, extension: int, pauses: list[Pause]
) -> None:
    due = due_date(accepted, promised, pauses, extension, CAL)
    assert due is not None
    total = promised + extension
    assert working_days_used(accepted, pauses, due, CAL) == total
    if total > 0:
        assert CAL.is_working_day(due)
        assert not any(p.covers(due) for p in pauses)
        assert working_days_used(accepted, pauses, due - timedelta(days=1), CAL) == total - 1
    if not pauses:
        assert due == CAL.add_working_days(accepted, total)


# --- used / left ------------------------------------------------------------------------------

USED = [
    (D(2026, 9, 29), [], D(2026, 10, 9), 3, "国庆前后：9/30、10/8、10/9"),
    (D(2026, 9, 29), [], D(2026, 9, 29), 0, "受理当天"),
    (D(2026, 9, 29), [], D(2026, 9, 1), 0, "今天早于受理"),
    (D(2026, 9, 29), [sup(D(2026, 9, 30), D(2026, 10, 8))], D(2026, 10, 9), 2, "暂停扣掉 10/8"),
    (D(2026, 9, 29), [sup(D(2026, 9, 30), None)], D(2026, 10, 20), 1, "暂停未结束"),
    (D(2026, 12, 30), [], D(2026, 12, 31), 1, "年末不需要下一年日历"),
]


@pytest.mark.parametrize(
    ("accepted", "pauses", "today", "expected"),
    [row[:4] for row in USED],
    ids=[row[4] for row in USED],
)
def test_working_days_used(accepted: date, pauses: list[Pause], today: date, expected: int) -> None:
    assert working_days_used(accepted, pauses, today, CAL) == expected


LEFT = [
    (D(2026, 10, 9), D(2026, 9, 29), 3, "国庆前"),
    (D(2026, 10, 9), D(2026, 10, 9), 0, "到期当天"),
    (D(2026, 10, 9), D(2026, 10, 8), 1, "到期前一天"),
    (D(2026, 10, 9), D(2026, 10, 10), -1, "超期一个工作日（调休周六）"),
    (D(2026, 10, 9), D(2026, 10, 12), -2, "超期两个工作日"),
    (D(2026, 3, 6), D(2026, 3, 7), 0, "周五到期 周六已超期但未过工作日"),
    (D(2026, 3, 9), D(2026, 3, 7), 1, "周六看周一到期"),
]


@pytest.mark.parametrize(
    ("due", "today", "expected"), [row[:3] for row in LEFT], ids=[row[3] for row in LEFT]
)
def test_working_days_left(due: date, today: date, expected: int) -> None:
    assert working_days_left(due, today, CAL) == expected


# --- due states -------------------------------------------------------------------------------

DUE_FRI = D(2026, 3, 13)  # a Friday

STATES = [
    # due, today, completed_on, paused, at_risk_days, expected
    (DUE_FRI, D(2026, 3, 9), None, False, 3, DueState.ON_TIME, "剩 4 天 > 3"),
    (DUE_FRI, D(2026, 3, 10), None, False, 3, DueState.AT_RISK, "剩 3 天 = 3 临期"),
    (DUE_FRI, D(2026, 3, 12), None, False, 3, DueState.AT_RISK, "剩 1 天"),
    (DUE_FRI, DUE_FRI, None, False, 3, DueState.AT_RISK, "到期当天"),
    (DUE_FRI, DUE_FRI, None, False, 0, DueState.AT_RISK, "临期阈值 0 到期当天"),
    (DUE_FRI, D(2026, 3, 12), None, False, 0, DueState.ON_TIME, "临期阈值 0 剩 1 天"),
    (DUE_FRI, D(2026, 3, 14), None, False, 3, DueState.OVERDUE, "到期次日周六即超期"),
    (DUE_FRI, D(2026, 3, 16), None, False, 3, DueState.OVERDUE, "下周一超期"),
    (DUE_FRI, D(2026, 3, 16), DUE_FRI, False, 3, DueState.DONE_ON_TIME, "到期当天办结"),
    (DUE_FRI, D(2026, 3, 20), D(2026, 3, 9), False, 3, DueState.DONE_ON_TIME, "提前办结"),
    (DUE_FRI, D(2026, 3, 20), D(2026, 3, 14), False, 3, DueState.DONE_LATE, "周六办结算超期"),
    (DUE_FRI, D(2026, 3, 20), D(2026, 3, 16), False, 3, DueState.DONE_LATE, "超期办结"),
    (None, D(2026, 3, 20), None, True, 3, DueState.PAUSED, "暂停中"),
    (DUE_FRI, D(2026, 3, 20), None, True, 3, DueState.PAUSED, "暂停优先于超期"),
    (None, D(2026, 3, 20), None, False, 3, DueState.PENDING_CALENDAR, "日历未载入"),
    (None, D(2026, 3, 20), D(2026, 3, 19), False, 3, DueState.PENDING_CALENDAR, "办结但无期限"),
]


@pytest.mark.parametrize(
    ("due", "today", "completed_on", "paused", "at_risk_days", "expected"),
    [row[:6] for row in STATES],
    ids=[row[6] for row in STATES],
)
def test_due_state(
    due: date | None,
    today: date,
    completed_on: date | None,
    paused: bool,
    at_risk_days: int,
    expected: DueState,
) -> None:
    state = due_state(
        due=due,
        today=today,
        completed_on=completed_on,
        paused=paused,
        at_risk_days=at_risk_days,
        calendar=CAL,
    )
    assert state is expected


def test_due_state_at_risk_counts_working_days_not_calendar_days() -> None:
    # Due Thu 2026-10-08, today Wed 2026-09-30: 8 calendar days but 1 working day left.
    def state(today: date) -> DueState:
        return due_state(
            due=D(2026, 10, 8),
            today=today,
            completed_on=None,
            paused=False,
            at_risk_days=1,
            calendar=CAL,
        )

    assert state(D(2026, 9, 30)) is DueState.AT_RISK
    assert state(D(2026, 9, 29)) is DueState.ON_TIME


def test_due_state_not_started() -> None:
    state = due_state(
        due=None,
        today=D(2026, 3, 9),
        completed_on=None,
        paused=False,
        at_risk_days=3,
        calendar=CAL,
        accepted=False,
    )
    assert state is DueState.NOT_STARTED


def test_due_state_rejects_inconsistent_input() -> None:
    with pytest.raises(ValueError, match="open pause"):
        due_state(
            due=None,
            today=D(2026, 3, 9),
            completed_on=D(2026, 3, 9),
            paused=True,
            at_risk_days=3,
            calendar=CAL,
        )
    with pytest.raises(InvalidTimeLimit):
        due_state(
            due=DUE_FRI,
            today=D(2026, 3, 9),
            completed_on=None,
            paused=False,
            at_risk_days=-1,
            calendar=CAL,
        )


def test_due_state_labels() -> None:
    assert len(DueState) == 8
    assert DueState.OVERDUE.value == "overdue"
    assert str(DueState.OVERDUE) == "overdue"
    assert DueState.OVERDUE.label_zh == "已超期"
    assert DueState.AT_RISK.label_zh == "即将超期"
    assert DueState.PENDING_CALENDAR.label_en == "Waiting for holiday calendar"
    zh = {s.label_zh for s in DueState}
    en = {s.label_en for s in DueState}
    assert len(zh) == len(en) == len(DueState)  # every state labelled, no two alike


# --- the 5-day rule (行政许可法 Art. 32) --------------------------------------------------------

FIVE_DAY = [
    (D(2026, 3, 9), D(2026, 3, 16), "周一收到 → 下周一"),
    (D(2026, 3, 6), D(2026, 3, 13), "周五收到 跨周末 → 下周五"),
    (D(2026, 3, 7), D(2026, 3, 13), "周六（网上）收到 → 下周五"),
    (D(2026, 9, 29), D(2026, 10, 12), "跨 2026 国庆，含调休周六 10/10"),
    (D(2025, 9, 26), D(2025, 10, 10), "跨 2025 国庆中秋，含调休周日 9/28"),
    (D(2026, 2, 12), D(2026, 2, 26), "跨 2026 春节，含调休周六 2/14"),
]


@pytest.mark.parametrize(
    ("received", "deadline"), [row[:2] for row in FIVE_DAY], ids=[row[2] for row in FIVE_DAY]
)
def test_acceptance_deadline(received: date, deadline: date) -> None:
    assert acceptance_deadline(received, CAL) == deadline
    assert not is_deemed_accepted(received, received, CAL)
    assert not is_deemed_accepted(received, deadline, CAL)  # the last day still counts
    assert is_deemed_accepted(received, deadline + timedelta(days=1), CAL)
    assert is_deemed_accepted(received, deadline + timedelta(days=30), CAL)


def test_deemed_acceptance_over_a_weekend() -> None:
    # Received Fri 2026-03-06, deadline Fri 2026-03-13: on Sat 03-14 it is deemed accepted.
    assert not is_deemed_accepted(D(2026, 3, 6), D(2026, 3, 13), CAL)
    assert is_deemed_accepted(D(2026, 3, 6), D(2026, 3, 14), CAL)


def test_deemed_acceptance_during_national_day() -> None:
    # Received Tue 2026-09-29: the holiday week does not count, so on 2026-10-09 (calendar
    # day 10) only 3 working days have passed.
    assert not is_deemed_accepted(D(2026, 9, 29), D(2026, 10, 9), CAL)
    assert not is_deemed_accepted(D(2026, 9, 29), D(2026, 10, 11), CAL)
    assert is_deemed_accepted(D(2026, 9, 29), D(2026, 10, 13), CAL)


def test_custom_limit() -> None:
    assert acceptance_deadline(D(2026, 3, 9), CAL, limit_days=1) == D(2026, 3, 10)
    assert acceptance_deadline(D(2026, 3, 9), CAL, limit_days=0) == D(2026, 3, 9)
    assert is_deemed_accepted(D(2026, 3, 9), D(2026, 3, 11), CAL, limit_days=1)
    assert not is_deemed_accepted(D(2026, 3, 9), D(2026, 3, 11), CAL, limit_days=2)


def test_five_day_rule_near_an_unknown_year() -> None:
    # Received Mon 2026-12-28: the deadline is in 2027, but on 12-29 we already know it is
    # not yet deemed accepted, without the 2027 calendar.
    assert not is_deemed_accepted(D(2026, 12, 28), D(2026, 12, 29), CAL)
    with pytest.raises(UnknownCalendarYear):
        acceptance_deadline(D(2026, 12, 28), CAL)
    with pytest.raises(UnknownCalendarYear):
        is_deemed_accepted(D(2026, 12, 28), D(2027, 1, 8), CAL)
    cal = WorkingCalendar({2027: FAKE_2027})
    # Dec 29, 30, 31, then (made-up) Jan 1–3 off, Jan 4, 5 → deadline Tue 2027-01-05.
    assert acceptance_deadline(D(2026, 12, 28), cal) == D(2027, 1, 5)
    assert is_deemed_accepted(D(2026, 12, 28), D(2027, 1, 6), cal)
