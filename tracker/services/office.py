"""Office-side operations that are not case moves: canned notes, revealing an ID number,
the scheduled sweep of the legal clock (Art. 32 and overdue marks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

import sqlalchemy as sa

from ..database import write_transaction
from ..domain import clock
from ..domain.effects import latest_supplement_arrival
from ..domain.errors import DomainError, UnknownCalendarYear
from ..domain.states import CaseStatus, Role
from ..domain.text import N_
from ..domain.workflow import Action
from ..models import CannedNote, Case, Notification, User
from . import audit
from .calendar import SHANGHAI, get_calendar, local_date


def add_canned_note(actor: User, kind: str, text: str, now: datetime) -> CannedNote:
    text = " ".join(text.split())
    if actor.role is not Role.CLERK or actor.office_id is None:
        raise DomainError(N_("只有经办人员可以维护常用语"), code="not_clerk")
    if kind not in ("supplement", "rejection", "other") or not 2 <= len(text) <= 500:
        raise DomainError(N_("常用语须为2至500字"), code="canned_note")
    with write_transaction() as session:
        note = CannedNote(
            office_id=actor.office_id, kind=kind, text=text, created_by_id=actor.id, created_at=now
        )
        session.add(note)
    return note


def delete_canned_note(actor: User, note_id: int) -> None:
    with write_transaction() as session:
        note = session.get(CannedNote, note_id)
        if note is None or note.office_id != actor.office_id:
            raise DomainError(N_("常用语不存在"), code="not_found")
        session.delete(note)


def canned_notes(office_id: int) -> list[CannedNote]:
    from ..extensions import db

    return list(
        db.session.scalars(
            sa.select(CannedNote)
            .where(CannedNote.office_id == office_id)
            .order_by(CannedNote.kind, CannedNote.id)
        )
    )


def reveal_resident_id(
    actor: User, case: Case, reason: str, now: datetime, ip: str | None = None
) -> str:
    """The applicant's full ID number, for a stated reason; every reveal is audited."""
    reason = " ".join(reason.split())
    if len(reason) < 4:
        raise DomainError(N_("查看完整身份证号须填写理由（至少4个字）"), code="reason_required")
    if actor.role is not Role.CLERK or actor.office_id not in (
        case.custody_office_id,
        case.receiving_office_id,
        case.competent_office_id,
    ):
        raise DomainError(N_("无权查看"), code="forbidden")
    with write_transaction() as session:
        audit.record(
            session,
            at=now,
            user_id=actor.id,
            action="reveal_resident_id",
            success=True,
            ip=ip,
            target=f"case:{case.tracking_number}",
            detail={"reason": reason},
        )
    return case.applicant.resident_id or ""


@dataclass
class SweepReport:
    deemed_accepted: int = 0
    overdue_notices: int = 0
    act_by_filled: int = 0

    def __str__(self) -> str:
        return (
            f"{self.deemed_accepted} deemed accepted (Art. 32), "
            f"{self.overdue_notices} overdue notices to offices, "
            f"{self.act_by_filled} deadlines filled in"
        )


def sweep(now: datetime, *, limit_days: int = 5) -> SweepReport:
    """Apply the 5-day rule and tell offices about their overdue cases. Idempotent: a second
    run on the same day changes nothing more (acceptance is a state change; an office is told
    about a case's overdue once per day)."""
    from ..extensions import db
    from . import cases as case_ops
    from . import deadlines
    from .case_store import pauses_of, spans_of

    report = SweepReport()
    today = local_date(now)
    cal = get_calendar()
    waiting = db.session.scalars(
        sa.select(Case).where(
            Case.status.in_([CaseStatus.RECEIVED, CaseStatus.SUPPLEMENTED]),
            Case.accepted_at.is_(None),
        )
    ).all()
    for case in waiting:
        arrived = latest_supplement_arrival(spans_of(pauses_of(case.id, db.session)))
        try:
            deemed = clock.is_deemed_accepted(arrived or case.received_on, today, cal, limit_days)
        except UnknownCalendarYear:
            continue
        if deemed:
            case_ops.act(case.id, Action.DEEM_ACCEPTED, None, now)
            report.deemed_accepted += 1
    report.act_by_filled = deadlines.refresh_act_by()
    overdue = db.session.scalars(
        sa.select(Case).where(
            Case.act_by < today, Case.status.not_in([s for s in CaseStatus if s.is_closed])
        )
    ).all()
    title = "办件逾期提醒"
    start_of_day = datetime.combine(today, time.min, SHANGHAI)  # the office's day, not UTC's
    with write_transaction() as session:
        for case in overdue:
            clerks = session.scalars(
                sa.select(User.id).where(
                    User.role == Role.CLERK, User.office_id == case.custody_office_id
                )
            ).all()
            for clerk_id in clerks:
                body = f"办件 {case.tracking_number} 已超过期限（{case.act_by:%Y-%m-%d}），请尽快办理。"
                already = session.scalar(
                    sa.select(Notification.id).where(
                        Notification.user_id == clerk_id,
                        Notification.case_id == case.id,
                        Notification.title == title,
                        Notification.created_at >= start_of_day,
                    )
                )
                if already is None:
                    session.add(
                        Notification(
                            user_id=clerk_id,
                            case_id=case.id,
                            title=title,
                            body=body,
                            created_at=now,
                        )
                    )
                    report.overdue_notices += 1
    return report
