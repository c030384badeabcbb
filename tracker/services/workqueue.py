"""A clerk's office: its queue with filters and due counts, the cases it may see, its
clerks and sub-tasks, and the legal clock as the office reads it (read-only, no commits)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import defer, load_only, selectinload

from ..domain.clock import WorkingDays
from ..domain.effects import NO_DEADLINE
from ..domain.states import (
    CLOSED_STATES,
    OPEN_STATES,
    PAUSED_STATES,
    CaseStatus,
    is_paused,
)
from ..extensions import db
from ..models import (
    Case,
    OpenCaseDay,
    SubTask,
    User,
)
from .queries import ClockView, case_clock

# ---- a clerk's queue ----------------------------------------------------------------------

QUEUE_PAGE = 50
# People named on a list (applicant, assignee): their sealed ID number stays unread.
PERSON_NAME_ONLY = (defer(User.resident_id),)
# What a queue row shows and its clock reads: loading only these (not the sealed answers, the
# delivery and idempotency fields) halves the cost of turning 50 rows into objects. Any other
# attribute still loads when read (one query per row: bench/profile.py counts them).
QUEUE_ROW = load_only(
    Case.id,
    Case.tracking_number,
    Case.service_id,
    Case.applicant_id,
    Case.assignee_id,
    Case.custody_office_id,
    Case.status,
    Case.version,
    Case.received_on,
    Case.accepted_at,
    Case.act_by,
    Case.due_on,
    Case.due_pending_year,
    Case.completed_at,
)
# A sub-task row names its case, the case's service and where it is.
SUBTASK_CASE = load_only(
    Case.id, Case.tracking_number, Case.service_id, Case.custody_office_id, Case.status
)
DUE_FILTERS = ("on_time", "at_risk", "overdue", "paused")


@dataclass(frozen=True)
class QueueFilters:
    status: str = "open"  # "open", "closed", "all" or one CaseStatus value
    service_id: int | None = None
    due: str | None = None  # one of DUE_FILTERS
    assigned: str = "any"  # "me", "unassigned", "any"
    submitted_from: date | None = None
    submitted_to: date | None = None
    q: str = ""
    page: int = 1


@dataclass(frozen=True)
class QueuePage:
    rows: list[Case]
    total: int
    counts: dict[str, int]  # per status (open ones) and per due filter


def _status_where(f: QueueFilters) -> list[sa.ColumnElement[bool] | sa.TextClause]:
    from ..models.case import OPEN_SQL

    if f.status == "open":
        # Spelled exactly like the partial index's predicate so the planner can use it.
        return [sa.text(f"cases.status IN ({OPEN_SQL})")]
    if f.status == "closed":
        return [Case.status.in_(sorted(CLOSED_STATES))]
    return [] if f.status == "all" else [Case.status == CaseStatus(f.status)]


def _due_where(f: QueueFilters, today: date, risk_until: date) -> list[sa.ColumnElement[bool]]:

    due: dict[str, list[sa.ColumnElement[bool]]] = {
        "overdue": [Case.act_by < today],
        "at_risk": [Case.act_by.between(today, risk_until)],
        "on_time": [Case.act_by > risk_until, Case.act_by < NO_DEADLINE],
        "paused": [Case.status.in_(sorted(PAUSED_STATES))],
    }
    return due.get(f.due or "", [])


def _search_where(q: str) -> list[sa.ColumnElement[bool]]:
    """A tracking number (check character and all) or the applicant's exact name."""
    q = q.strip()
    if not q:
        return []
    from ..domain.identifiers import normalize_tracking_number

    number = normalize_tracking_number(q)
    if number.isascii() and len(number) == 15:
        return [Case.tracking_number == number]
    names = sa.select(User.id).where(User.real_name == q[:64])
    return [Case.applicant_id.in_(names)]


def _queue_where(
    office_id: int, f: QueueFilters, user_id: int, today: date, risk_until: date
) -> list[sa.ColumnElement[bool] | sa.TextClause]:
    where: list[sa.ColumnElement[bool] | sa.TextClause] = [Case.custody_office_id == office_id]
    where += _status_where(f)
    where += _due_where(f, today, risk_until)
    if f.service_id:
        where.append(Case.service_id == f.service_id)
    if f.assigned == "me":
        where.append(Case.assignee_id == user_id)
    elif f.assigned == "unassigned":
        where.append(Case.assignee_id.is_(None))
    if f.submitted_from:
        where.append(Case.received_on >= f.submitted_from)
    if f.submitted_to:
        where.append(Case.received_on <= f.submitted_to)
    return where + _search_where(f.q)


@dataclass(frozen=True)
class DueCounts:
    """Open cases by where their deadline (``act_by``) stands today."""

    overdue: int = 0  # before today
    at_risk: int = 0  # today to the at-risk horizon
    on_time: int = 0  # later (cases paused or waiting for a calendar have no deadline)


def due_counts(
    office_ids: Collection[int],
    today: date,
    risk_until: date,
    *,
    service_ids: Collection[int] | None = None,
    on_time: bool = False,
) -> dict[tuple[int, int], DueCounts]:
    """Per (holding office, service), from the open-case histogram (a row per office, day
    and service, kept by triggers on the cases): the same sets as the queue's due filters.
    Without ``on_time`` only the rows up to the at-risk horizon are read."""

    d = OpenCaseDay

    def count(cond: sa.ColumnElement[bool]) -> Any:
        return sa.func.sum(sa.case((cond, d.count), else_=0))

    stmt = (
        sa.select(
            d.office_id,
            d.service_id,
            count(d.day < today),
            count(d.day.between(today, risk_until)),
            count(d.day > risk_until),
        )
        .where(
            d.office_id.in_(sorted(office_ids)),
            d.kind == "act_by",
            d.day < NO_DEADLINE if on_time else d.day <= risk_until,
        )
        .group_by(d.office_id, d.service_id)
    )
    if service_ids is not None:
        stmt = stmt.where(d.service_id.in_(sorted(service_ids)))
    return {
        (o, s): DueCounts(int(a or 0), int(b or 0), int(c or 0))
        for o, s, a, b, c in db.session.execute(stmt)
    }


def office_queue(
    office_id: int, f: QueueFilters, *, user_id: int, today: date, risk_until: date
) -> QueuePage:
    """Fifty cases the office holds, by the day it must act, with counts for the filters."""
    where = _queue_where(office_id, f, user_id, today, risk_until)
    rows = db.session.scalars(
        sa.select(Case)
        .where(*where)
        .options(
            # A row shows neither the answers nor an ID number: both are sealed at rest, and
            # opening them (AES-GCM) for 50 cases and their people was a tenth of the page.
            QUEUE_ROW,
            selectinload(Case.service),
            selectinload(Case.applicant).options(*PERSON_NAME_ONLY),
            selectinload(Case.assignee).options(*PERSON_NAME_ONLY),
        )
        .order_by(Case.act_by, Case.id)
        .limit(QUEUE_PAGE)
        .offset((max(f.page, 1) - 1) * QUEUE_PAGE)
    ).all()
    open_where = _queue_where(office_id, QueueFilters(), user_id, today, risk_until)
    counts = {
        status.value: n
        for status, n in db.session.execute(
            sa.select(Case.status, sa.func.count(Case.id)).where(*open_where).group_by(Case.status)
        )
    }
    due = due_counts([office_id], today, risk_until, on_time=True).values()
    for key in ("overdue", "at_risk", "on_time"):
        counts[f"due:{key}"] = sum(getattr(x, key) for x in due)
    counts["due:paused"] = sum(counts.get(s.value, 0) for s in PAUSED_STATES)
    # The clerk's own open cases, grouped by assignee so SQLite reads the (office, assignee)
    # partial index alone; asked as "assignee = me" it judged that index unselective when
    # most cases wait unassigned and read every open case's row (45 ms at 10,000 open cases).
    # count(*), not count(id): PostgreSQL can then answer from the index alone too.
    by_assignee = dict(
        db.session.execute(
            sa.select(Case.assignee_id, sa.func.count())
            .where(*open_where)
            .group_by(Case.assignee_id)
        ).all()
    )
    counts["mine"] = int(by_assignee.get(user_id, 0))  # (the queue shows no unassigned count)
    if f == QueueFilters(page=f.page):  # the whole open queue: its size is the sum above
        total = sum(counts.get(s.value, 0) for s in OPEN_STATES)
    else:
        total = db.session.scalar(sa.select(sa.func.count(Case.id)).where(*where)) or 0
    return QueuePage(rows=list(rows), total=total, counts=counts)


def _open_subtasks(office_id: int) -> sa.Select[tuple[SubTask]]:
    from ..models.case import OPEN_SUBTASK_SQL

    # Spelled exactly like the partial index's predicate so that the planner can use it.
    return sa.select(SubTask).where(
        SubTask.office_id == office_id, sa.text(f"subtasks.status IN ({OPEN_SUBTASK_SQL})")
    )


def office_subtasks(office_id: int, limit: int = QUEUE_PAGE) -> list[SubTask]:
    """The oldest unfinished sub-tasks other offices sent to this one (多地联办), a page of
    them: an office can hold thousands, and the queue page must stay small."""
    return list(
        db.session.scalars(
            _open_subtasks(office_id).order_by(SubTask.created_at, SubTask.id).limit(limit)
        )
    )


# ---- what a clerk's office may see -----------------------------------------------------------


def touched_by(office_id: int) -> sa.ColumnElement[bool]:
    """The office holds the case, received it, decides it, or has a sub-task on it."""
    return sa.or_(
        Case.custody_office_id == office_id,
        Case.receiving_office_id == office_id,
        Case.competent_office_id == office_id,
        sa.exists().where(SubTask.case_id == Case.id, SubTask.office_id == office_id),
    )


def visible_case(office_id: int, *where: sa.ColumnElement[bool]) -> Case | None:
    """A case the office may see, as the database has it now (collections too)."""
    return db.session.scalars(
        sa.select(Case)
        .where(*where, touched_by(office_id))
        .options(
            selectinload(Case.subtasks).selectinload(SubTask.office),
            selectinload(Case.pauses),
            selectinload(Case.attachments),
        )
        .execution_options(populate_existing=True)
    ).one_or_none()


def office_clerks(office_id: int) -> list[User]:
    from ..domain.states import Role

    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.role == Role.CLERK, User.office_id == office_id, User.is_active_account)
            .options(*PERSON_NAME_ONLY)
            .order_by(User.username)
        )
    )


def office_subtask_rows(office_id: int) -> list[tuple[SubTask, Case]]:
    """The office's open sub-tasks with their cases (two queries, whatever the count)."""
    tasks = office_subtasks(office_id)
    if not tasks:
        return []
    cases = {
        c.id: c
        for c in db.session.scalars(
            sa.select(Case)
            .where(Case.id.in_({t.case_id for t in tasks}))
            .options(
                SUBTASK_CASE,  # not the sealed answers: the sub-task rows never show them
                selectinload(Case.custody_office),
                selectinload(Case.service),
            )
        )
    }
    return [(t, cases[t.case_id]) for t in tasks if t.case_id in cases]


def risk_until(today: date, at_risk_days: int, calendar: WorkingDays | None = None) -> date:
    """The last day that still counts as "at risk" (``at_risk_days`` working days ahead)."""
    from .calendar import add_working_days_or_estimate

    # Next year's table not loaded yet: the one estimate (Monday to Friday).
    return add_working_days_or_estimate(today, at_risk_days, calendar)


def office_clock(
    case: Case, today: date, risk_until: date, calendar: WorkingDays, at_risk_days: int
) -> ClockView:
    """The clock the office works to: before acceptance the Art. 32 acceptance deadline
    (``act_by``, the column the queue sorts and filters on, so badge and filters agree);
    after acceptance, the legal clock of :func:`case_clock`."""
    from ..domain.clock import working_days_left
    from ..domain.errors import UnknownCalendarYear

    if case.accepted_at is None and not case.status.is_closed:
        if is_paused(case.status):
            return ClockView(state="paused", due_on=None, days_left=None, pending_year=None)
        if case.act_by is not None and case.act_by != NO_DEADLINE:
            try:
                left: int | None = working_days_left(case.act_by, today, calendar)
            except UnknownCalendarYear:
                left = None
            state = (
                "overdue"
                if case.act_by < today
                else "at_risk"
                if case.act_by <= risk_until
                else "on_time"
            )
            return ClockView(state=state, due_on=case.act_by, days_left=left, pending_year=None)
    return case_clock(case, today, at_risk_days)
