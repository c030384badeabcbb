"""The legal clock: due dates in working days, pauses, extensions, the 5-day rule.

All dates are ``datetime.date`` in Asia/Shanghai; the caller converts timestamps. The calendar
is an argument (anything with the :class:`WorkingDays` methods, normally
:class:`tracker.domain.calendar.WorkingCalendar`), and so is "today": nothing here reads a
clock.

Counting convention (行政许可法 and 限时办结 practice): the clock starts the working day
*after* acceptance, so working day 1 is the first working day strictly after the acceptance
date. A :class:`Pause` from ``start`` to ``end`` removes the working days ``d`` with
``start < d <= end``; counting resumes with the first working day after ``end``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Final, Literal, Protocol

from tracker.domain.errors import InvalidPause, InvalidTimeLimit

__all__ = [
    "PAUSE_KINDS",
    "DueState",
    "Pause",
    "PauseKind",
    "WorkingDays",
    "acceptance_deadline",
    "clock_start",
    "due_date",
    "due_state",
    "has_open_pause",
    "is_deemed_accepted",
    "working_days_left",
    "working_days_used",
]

PauseKind = Literal["supplement", "special_procedure"]
PAUSE_KINDS: Final[frozenset[str]] = frozenset({"supplement", "special_procedure"})
_ONE_DAY: Final = timedelta(days=1)


class WorkingDays(Protocol):
    """What the clock needs from a calendar (see ``WorkingCalendar``)."""

    def is_working_day(self, d: date) -> bool: ...

    def next_working_day(self, d: date) -> date: ...

    def add_working_days(self, start: date, n: int) -> date: ...

    def working_days_between(self, start: date, end: date) -> int: ...


@dataclass(frozen=True)
class Pause:
    """A stretch during which the clock does not run.

    ``kind`` is ``"supplement"`` (waiting for the applicant's materials, 补正) or
    ``"special_procedure"`` (hearing, expert review, inspection … 特别程序). ``end=None`` means
    the pause is still open. Working days ``d`` with ``start < d <= end`` do not count.
    """

    start: date
    end: date | None
    kind: PauseKind

    def __post_init__(self) -> None:
        if self.kind not in PAUSE_KINDS:
            raise InvalidPause(f"未知的暂停类型：{self.kind!r}")
        if self.end is not None and self.end < self.start:
            raise InvalidPause(
                f"暂停结束日期 {self.end.isoformat()} 早于开始日期 {self.start.isoformat()}"
            )

    @property
    def is_open(self) -> bool:
        return self.end is None

    def covers(self, d: date) -> bool:
        """Whether day ``d`` is inside this pause (``start < d <= end``; open → no upper bound)."""
        return self.start < d and (self.end is None or d <= self.end)


def _check_non_negative(value: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidTimeLimit(f"{what}必须是不小于 0 的整数，而不是 {value!r}")


def _pause_end_covering(d: date, pauses: Sequence[Pause]) -> date | None:
    """The latest end among closed pauses covering ``d``, or None if ``d`` is not paused.

    Callers must have ruled out open pauses.
    """
    latest: date | None = None
    for p in pauses:
        if p.covers(d):
            assert p.end is not None
            if latest is None or p.end > latest:
                latest = p.end
    return latest


def has_open_pause(pauses: Sequence[Pause]) -> bool:
    """Whether any pause is still running."""
    return any(p.end is None for p in pauses)


def clock_start(accepted_on: date, supplement_arrived_on: date | None = None) -> date:
    """The legal acceptance date the clock counts from.

    After a supplement request the case counts as accepted on the day the complete materials
    arrived, so when they arrived before the formal acceptance the earlier day wins.
    """
    if supplement_arrived_on is None:
        return accepted_on
    return min(accepted_on, supplement_arrived_on)


def due_date(
    accepted_on: date,
    promised_days: int,
    pauses: Sequence[Pause],
    extension_days: int,
    calendar: WorkingDays,
) -> date | None:
    """The due date, or ``None`` while a pause is open (it cannot be known yet).

    ``accepted_on`` is the legal acceptance date (see :func:`clock_start`). The due date is
    the ``promised_days + extension_days``-th counted working day after it; paused working
    days are skipped. ``0`` days (same-day service) gives ``accepted_on`` itself.
    Raises :class:`UnknownCalendarYear` when the count runs into a year with no calendar.
    """
    _check_non_negative(promised_days, "承诺时限")
    _check_non_negative(extension_days, "延长时限")
    if has_open_pause(pauses):
        return None
    total = promised_days + extension_days
    d = accepted_on
    counted = 0
    while counted < total:
        d = calendar.next_working_day(d)
        paused_until = _pause_end_covering(d, pauses)
        if paused_until is not None:
            # Jump over the rest of the pause without asking the calendar about it.
            d = paused_until
            continue
        counted += 1
    return d


def working_days_used(
    accepted_on: date, pauses: Sequence[Pause], today: date, calendar: WorkingDays
) -> int:
    """Counted working days so far: working days ``d`` with ``accepted_on < d <= today``
    that are not inside a pause (an open pause covers every day after its start)."""
    used = 0
    d = accepted_on + _ONE_DAY
    while d <= today:
        if not any(p.covers(d) for p in pauses) and calendar.is_working_day(d):
            used += 1
        d += _ONE_DAY
    return used


def working_days_left(due: date, today: date, calendar: WorkingDays) -> int:
    """Working days left until ``due``: working days ``d`` with ``today < d <= due``.

    On the due date itself this is 0. After the due date it is minus the number of working
    days past due, so the weekend right after a Friday due date still gives 0 although the
    case is overdue; :func:`due_state` is what says "overdue".
    """
    if today <= due:
        return calendar.working_days_between(today, due)
    return -calendar.working_days_between(due, today)


class DueState(StrEnum):
    """Where a case stands against its legal clock."""

    ON_TIME = "on_time"
    AT_RISK = "at_risk"
    OVERDUE = "overdue"
    PAUSED = "paused"
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    NOT_STARTED = "not_started"
    PENDING_CALENDAR = "pending_calendar"

    @property
    def label_zh(self) -> str:
        return DUE_STATE_LABELS_ZH[self]

    @property
    def label_en(self) -> str:
        return DUE_STATE_LABELS_EN[self]


DUE_STATE_LABELS_ZH: Final[Mapping[DueState, str]] = {
    DueState.ON_TIME: "正常",
    DueState.AT_RISK: "即将超期",
    DueState.OVERDUE: "已超期",
    DueState.PAUSED: "暂停计时",
    DueState.DONE_ON_TIME: "按时办结",
    DueState.DONE_LATE: "超期办结",
    DueState.NOT_STARTED: "尚未受理",
    DueState.PENDING_CALENDAR: "待载入节假日安排",
}

DUE_STATE_LABELS_EN: Final[Mapping[DueState, str]] = {
    DueState.ON_TIME: "On time",
    DueState.AT_RISK: "At risk",
    DueState.OVERDUE: "Overdue",
    DueState.PAUSED: "Clock paused",
    DueState.DONE_ON_TIME: "Completed on time",
    DueState.DONE_LATE: "Completed late",
    DueState.NOT_STARTED: "Not yet accepted",
    DueState.PENDING_CALENDAR: "Waiting for holiday calendar",
}


def due_state(
    *,
    due: date | None,
    today: date,
    completed_on: date | None,
    paused: bool,
    at_risk_days: int,
    calendar: WorkingDays,
    accepted: bool = True,
) -> DueState:
    """Classify a case against its due date.

    Precedence: not accepted → NOT_STARTED; completed → DONE_ON_TIME / DONE_LATE (completed on
    the due date is on time); paused → PAUSED; no due date → PENDING_CALENDAR; ``today`` after
    ``due`` → OVERDUE; ``0 <= working_days_left <= at_risk_days`` → AT_RISK; else ON_TIME.

    A completed case has no open pause; passing ``completed_on`` with ``paused=True`` is a
    caller bug (ValueError). A completed case whose due date could not be computed is
    PENDING_CALENDAR: it is never guessed to be on time.
    """
    _check_non_negative(at_risk_days, "临期提醒天数")
    if not accepted:
        return DueState.NOT_STARTED
    if completed_on is not None:
        if paused:
            raise ValueError("a completed case cannot have an open pause")
        if due is None:
            return DueState.PENDING_CALENDAR
        return DueState.DONE_ON_TIME if completed_on <= due else DueState.DONE_LATE
    if paused:
        return DueState.PAUSED
    if due is None:
        return DueState.PENDING_CALENDAR
    if today > due:
        return DueState.OVERDUE
    if working_days_left(due, today, calendar) <= at_risk_days:
        return DueState.AT_RISK
    return DueState.ON_TIME


def acceptance_deadline(received_on: date, calendar: WorkingDays, limit_days: int = 5) -> date:
    """Last day to accept, reject or request supplements (行政许可法 Art. 32): the
    ``limit_days``-th working day after receipt (the day of receipt does not count)."""
    _check_non_negative(limit_days, "受理期限")
    return calendar.add_working_days(received_on, limit_days)


def is_deemed_accepted(
    received_on: date, today: date, calendar: WorkingDays, limit_days: int = 5
) -> bool:
    """Whether an application nobody acted on is now deemed accepted (Art. 32: 逾期不告知
    的，自收到申请材料之日起即为受理): True once ``today`` is after :func:`acceptance_deadline`.

    Only meaningful while the office has neither accepted, rejected nor asked for supplements.
    When deemed accepted, the acceptance date is ``received_on`` itself (not the deadline):
    pass ``received_on`` as ``accepted_on`` to :func:`due_date`.
    """
    _check_non_negative(limit_days, "受理期限")
    # Walk only up to ``today`` so a deadline in a not-yet-loaded year does not matter
    # while today is still inside the known part of the window.
    counted = 0
    d = received_on
    while counted < limit_days:
        d += _ONE_DAY
        if d > today:
            return False
        if calendar.is_working_day(d):
            counted += 1
    return today > d
