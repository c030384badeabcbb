"""Bounded lists of cases for one office: overdue now, completed late in a range, each with
the reasons that explain the time. Tracking numbers, never applicants: the applicant's name is
read only to mask it in free text."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from ...domain.calendar import WorkingCalendar
from ...domain.errors import UnknownCalendarYear
from ...domain.states import COMPLETED_STATES, CaseStatus
from ...domain.workflow import Action
from ...extensions import db
from ...models import Case, CaseEvent, User
from ..calendar import get_calendar, local_date
from ._sql import local_day_sql, open_status, redact
from .grain import Selection

# Moves whose reasons explain time spent: supplements, special procedures, extensions…
TRAIL_ACTIONS = (
    Action.REQUEST_SUPPLEMENT,
    Action.SUBMIT_SUPPLEMENT,
    Action.START_SPECIAL,
    Action.END_SPECIAL,
    Action.REQUEST_EXTENSION,
    Action.APPROVE_EXTENSION,
    Action.REFUSE_EXTENSION,
    Action.DEEM_ACCEPTED,
    Action.FORWARD,
    Action.SUBTASK_NEGOTIATE,
    Action.SUBTASK_RESUME,
    Action.APPROVE_TOLERATED,
    Action.REFUSE,
    Action.REJECT,
)


@dataclass(frozen=True)
class TrailEntry:
    at: datetime
    action: str
    office_id: int | None
    reason: str


@dataclass(frozen=True)
class CaseLine:
    id: int
    tracking_number: str
    service_id: int
    office_id: int
    status: CaseStatus
    received_on: date
    act_by: date | None
    due_on: date | None
    completed_at: datetime | None
    days: int | None  # working days overdue (open) or late (completed); None: calendar unknown
    trail: tuple[TrailEntry, ...] = ()
    lateness_code: str | None = None  # why it was decided late (completed)
    lateness_note: str | None = None


def working_days_past(due: date, day: date, calendar: WorkingCalendar) -> int | None:
    """Working days ``d`` with ``due < d <= day``: how late ``day`` is against ``due``, counted
    like the queue counts (None when a year's calendar is missing)."""
    try:
        return calendar.working_days_between(due, day)
    except UnknownCalendarYear:
        return None


def _trails(case_ids: Collection[int], names: Mapping[int, str]) -> dict[int, list[TrailEntry]]:
    """The reason trail of each listed case, in one query."""
    if not case_ids:
        return {}
    out: dict[int, list[TrailEntry]] = defaultdict(list)
    stmt = (
        sa.select(
            CaseEvent.case_id, CaseEvent.at, CaseEvent.action, CaseEvent.office_id, CaseEvent.reason
        )
        .where(
            CaseEvent.case_id.in_(list(case_ids)),
            sa.or_(
                CaseEvent.reason.is_not(None),
                CaseEvent.action.in_([a.value for a in TRAIL_ACTIONS]),
            ),
        )
        .order_by(CaseEvent.case_id, CaseEvent.id)
    )
    for case_id, at, action, office_id, reason in db.session.execute(stmt):
        out[case_id].append(
            TrailEntry(at, action, office_id, redact(reason, [names.get(case_id, "")]))
        )
    return out


_CASE_COLUMNS = (
    Case.id,
    Case.tracking_number,
    Case.service_id,
    Case.custody_office_id,
    Case.competent_office_id,
    Case.status,
    Case.received_on,
    Case.act_by,
    Case.due_on,
    Case.completed_at,
    Case.lateness_code,
    Case.lateness_note,
    User.real_name,
)


def overdue_cases(
    office_id: int, service_ids: Collection[int] | None, today: date, limit: int = 100
) -> list[CaseLine]:
    """The office's open cases past the day it had to act, longest overdue first; two
    queries (cases, then their reason trails). The applicant's name is read only to mask it
    in the trail's free text."""
    stmt = (
        sa.select(*_CASE_COLUMNS)
        .join(User, User.id == Case.applicant_id)
        .where(open_status(), Case.custody_office_id == office_id, Case.act_by < today)
        .order_by(Case.act_by, Case.id)
        .limit(limit)
    )
    if service_ids is not None:
        stmt = stmt.where(Case.service_id.in_(list(service_ids)))
    calendar = get_calendar()  # read once, whether or not a row needs it (a steady query count)
    rows = db.session.execute(stmt).all()
    trails = _trails([r.id for r in rows], {r.id: r.real_name for r in rows})
    return [
        CaseLine(
            r.id,
            r.tracking_number,
            r.service_id,
            r.custody_office_id,
            r.status,
            r.received_on,
            r.act_by,
            r.due_on,
            r.completed_at,
            working_days_past(r.act_by, today, calendar),
            tuple(trails.get(r.id, ())),
        )
        for r in rows
    ]


def late_completions(
    office_id: int, service_ids: Collection[int] | None, sel: Selection, limit: int = 100
) -> list[CaseLine]:
    """Cases the office decided in the range after their due date, latest first, with the
    reasons that explain the time (the same rule as the ``late`` counter)."""
    lo, hi = sel.utc_bounds
    stmt = (
        sa.select(*_CASE_COLUMNS)
        .join(User, User.id == Case.applicant_id)
        .where(
            Case.competent_office_id == office_id,
            Case.status.in_(sorted(COMPLETED_STATES)),
            Case.completed_at >= lo,
            Case.completed_at < hi,
            Case.due_on.is_not(None),
            Case.due_on < local_day_sql(Case.completed_at),
        )
        .order_by(Case.completed_at.desc(), Case.id.desc())
        .limit(limit)
    )
    if service_ids is not None:
        stmt = stmt.where(Case.service_id.in_(list(service_ids)))
    calendar = get_calendar()
    rows = db.session.execute(stmt).all()
    trails = _trails([r.id for r in rows], {r.id: r.real_name for r in rows})
    return [
        CaseLine(
            r.id,
            r.tracking_number,
            r.service_id,
            r.competent_office_id,
            r.status,
            r.received_on,
            r.act_by,
            r.due_on,
            r.completed_at,
            working_days_past(r.due_on, local_date(r.completed_at), calendar),
            tuple(trails.get(r.id, ())),
            r.lateness_code,
            redact(r.lateness_note, [r.real_name]) if r.lateness_note else None,
        )
        for r in rows
    ]
