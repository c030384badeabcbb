"""Read-only queries shared by pages and APIs (no commits here)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from ..domain.clock import DueState
from ..domain.states import (
    is_closed,
    is_completed,
    is_paused,
)
from ..extensions import db
from ..models import (
    Case,
    CaseEvent,
    ClockPause,
    Department,
    Notification,
    Office,
    Rating,
    Rectification,
    Region,
    Service,
    User,
)


def catalogue(q: str = "") -> list[tuple[Department, list[Service]]]:
    """Active services grouped by department; ``q`` matches names and summaries (zh or en)."""
    stmt = sa.select(Service).where(Service.active).order_by(Service.code)
    q = q.strip()[:50]
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        stmt = stmt.where(
            sa.or_(
                *(
                    col.ilike(like, escape="\\")
                    for col in (
                        Service.name_zh,
                        Service.name_en,
                        Service.summary_zh,
                        Service.summary_en,
                    )
                )
            )
        )
    services = db.session.scalars(stmt).all()
    departments = {d.code: d for d in db.session.scalars(sa.select(Department))}
    grouped: dict[str, list[Service]] = defaultdict(list)
    for s in services:
        grouped[s.department_code].append(s)
    return [(departments[code], grouped[code]) for code in departments if code in grouped]


def catalogue_counts() -> dict[str, int]:
    return {
        "service_count": db.session.scalar(
            sa.select(sa.func.count(Service.id)).where(Service.active)
        )
        or 0,
        "office_count": db.session.scalar(sa.select(sa.func.count(Office.id))) or 0,
        "region_count": db.session.scalar(
            sa.select(sa.func.count(Region.code)).where(Region.level != "province")
        )
        or 0,
    }


def service_by_code(code: str) -> Service | None:
    return db.session.scalars(
        sa.select(Service)
        .where(Service.code == code, Service.active)
        .options(
            selectinload(Service.materials),
            selectinload(Service.fields),
            selectinload(Service.cooperations),
        )
    ).one_or_none()


def offices_by_province(department_code: str) -> list[tuple[Region, list[Office]]]:
    """The department's offices, grouped under their province, in code order."""
    offices = db.session.scalars(
        sa.select(Office)
        .where(Office.department_code == department_code, Office.active)
        .options(selectinload(Office.region))
        .order_by(Office.region_code)
    ).all()
    provinces = {
        r.code: r for r in db.session.scalars(sa.select(Region).where(Region.level == "province"))
    }
    grouped: dict[str, list[Office]] = defaultdict(list)
    for o in offices:
        grouped[o.region_code[:2] + "0000"].append(o)
    return [(provinces[p], grouped[p]) for p in sorted(grouped) if p in provinces]


# ---- cases as the applicant sees them -----------------------------------------------------


@dataclass(frozen=True)
class ClockView:
    state: str  # a DueState value
    due_on: date | None
    days_left: int | None
    pending_year: int | None


def case_clock(case: Case, today: date, at_risk_days: int) -> ClockView:
    """Where a case stands against its due date (badge text, working days left)."""
    from ..domain.clock import due_state, working_days_left
    from ..domain.errors import UnknownCalendarYear
    from ..domain.throughput import completed_on_time
    from .calendar import get_calendar, local_date

    cal = get_calendar()
    completed = local_date(case.completed_at) if case.completed_at else None
    try:
        state = due_state(
            due=case.due_on,
            today=today,
            completed_on=completed,
            paused=is_paused(case.status),
            at_risk_days=at_risk_days,
            calendar=cal,
            accepted=case.accepted_at is not None,
        )
        left = (
            working_days_left(case.due_on, today, cal)
            if case.due_on and completed is None and not is_closed(case.status)
            else None
        )
    except UnknownCalendarYear:
        state, left = DueState.PENDING_CALENDAR, None
    if (
        state == DueState.PENDING_CALENDAR
        and completed is not None
        and completed_on_time(completed, case.due_on, case.due_pending_year)
    ):
        state = DueState.DONE_ON_TIME
    if is_closed(case.status) and not is_completed(case.status):
        state = DueState.NOT_STARTED if case.accepted_at is None else state
    return ClockView(
        state=str(state), due_on=case.due_on, days_left=left, pending_year=case.due_pending_year
    )


def applicant_cases(user: User, page: int, per_page: int = 20) -> tuple[list[Case], int]:
    base = sa.select(Case).where(Case.applicant_id == user.id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery())) or 0
    rows = db.session.scalars(
        base.options(selectinload(Case.service), selectinload(Case.custody_office))
        .order_by(Case.submitted_at.desc(), Case.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(rows), total


def applicant_case(user: User, tracking_number: str) -> Case | None:
    """The applicant's own case, or None (another person's number looks like no case at all)."""
    return db.session.scalars(
        sa.select(Case).where(Case.tracking_number == tracking_number, Case.applicant_id == user.id)
    ).one_or_none()


def timeline(case: Case) -> list[CaseEvent]:
    return list(
        db.session.scalars(
            sa.select(CaseEvent)
            .where(CaseEvent.case_id == case.id)
            .options(joinedload(CaseEvent.office))
            .order_by(CaseEvent.id)
        )
    )


def open_supplement(case: Case) -> ClockPause | None:
    return db.session.scalars(
        sa.select(ClockPause).where(
            ClockPause.case_id == case.id,
            ClockPause.kind == "supplement",
            ClockPause.ended_on.is_(None),
        )
    ).first()


def rectification_of(case: Case) -> Rectification | None:
    """The rectification a bad rating of the case opened, if any."""
    return db.session.scalars(
        sa.select(Rectification).where(Rectification.case_id == case.id)
    ).one_or_none()


def rating_of(case: Case) -> Rating | None:
    return db.session.scalars(sa.select(Rating).where(Rating.case_id == case.id)).one_or_none()


def tracked_case(tracking_number: str, phone_last4: str) -> Case | None:
    """Public tracking: the number and the last four digits of the applicant's phone. The
    service and the office holding it come in the same statement (the page shows both)."""
    return db.session.scalars(
        sa.select(Case)
        .where(Case.tracking_number == tracking_number, Case.applicant_phone_last4 == phone_last4)
        .options(joinedload(Case.service), joinedload(Case.custody_office))
    ).one_or_none()


def notification_count(user: User) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(Notification.user_id == user.id)
        )
        or 0
    )


def unread_count(user: User) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def notifications(user: User, limit: int = 100) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def offices_of(department_code: str) -> list[Office]:
    return list(
        db.session.scalars(
            sa.select(Office)
            .where(Office.department_code == department_code, Office.active)
            .order_by(Office.region_code)
        )
    )
