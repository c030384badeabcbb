"""Moving a bad rating's rectification item along (差评整改, 国办发〔2019〕51号).

The stages, who may move each one and what must be recorded are the domain's table
(:mod:`tracker.domain.rectification`); this module loads, asks it, persists and commits.
Each move records what was done in the stage just finished as one history entry
``{stage, to, note, by, by_id, at}``, and is audited. Anyone the rules do not let see the item
(a supervisor whose region covers its office) gets the same answer as for an item that does
not exist, and the refusal is audited too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..database import write_transaction
from ..domain import rectification as rules
from ..domain.errors import DomainError, UnknownCalendarYear
from ..domain.regions import region_lineage
from ..domain.text import N_
from ..extensions import db
from ..models import Case, Notification, Office, Rectification, User
from . import audit
from .calendar import get_calendar, local_date
from .case_store import actor_facts


class RectificationNotFound(DomainError):
    code = "not_found"


class StaleRectification(DomainError):
    """Someone moved the item first; nothing of this move was written."""

    code = "stale"


def _stale() -> StaleRectification:
    return StaleRectification("该整改事项已被他人推进，请查看最新情况")


def _move(
    session: Session,
    item: Rectification,
    facts: rules.ItemFacts,
    supervisor: User,
    note: str | None,
    now: datetime,
    expected_stage: str | None,
    ip: str | None,
    send_back: bool = False,
) -> None:
    if expected_stage is not None and item.stage != expected_stage:
        raise _stale()
    move, text = rules.check(facts, actor_facts(supervisor), note, send_back=send_back)
    entry = rules.history_entry(move, text, supervisor.username or "", supervisor.id, now)
    if send_back:
        entry["sent_back"] = True
    values: dict[str, Any] = {"stage": move.target, "history": [*(item.history or []), entry]}
    if move.closes:
        values["closed_at"] = now
    if send_back:  # the office has a new deadline, in working days
        try:
            values["due_on"] = rules.deadline(local_date(now), get_calendar())
        except UnknownCalendarYear:
            values["due_on"] = None
    if move.source is rules.REPLY_STAGE and not send_back:
        _tell_applicant(session, item, text, now)
    result = session.execute(
        sa.update(Rectification)
        .where(Rectification.id == item.id, Rectification.stage == move.source)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise _stale()
    audit.record(
        session,
        at=now,
        user_id=supervisor.id,
        action="rectification_move",
        success=True,
        ip=ip,
        target=f"rectification:{item.id}",
        detail={"from": move.source.value, "to": move.target.value, "sent_back": send_back},
    )
    session.flush()
    session.refresh(item)


def _tell_applicant(session: Session, item: Rectification, reply: str, now: datetime) -> None:
    """The office's 反馈 reaches the applicant as a notice (with the case's number)."""
    case = session.get(Case, item.case_id)
    if case is None:
        return
    title = N_("差评整改反馈")
    body = N_(
        "办件 %(number)s：办理部门对您的评价作出反馈：%(reply)s 您可以在办件页面追加评价。",
        number=case.tracking_number,
        reply=reply,
    )
    session.add(
        Notification(
            user_id=case.applicant_id, case_id=case.id, created_at=now, title=title, body=body
        )
    )


def advance(
    item_id: int,
    supervisor: User,
    note: str | None,
    now: datetime,
    *,
    expected_stage: str | None = None,
    ip: str | None = None,
    send_back: bool = False,
) -> Rectification:
    """Finish the item's current stage with ``note`` (what was done) and move it to the next;
    ``send_back``: the supervisor returns it to the office's 整改 (a new deadline).

    ``supervisor`` is whoever moves it: a clerk of the rated office for 核实, 整改 and 反馈
    (the 反馈 note is sent to the applicant), a supervisor for 回访 and 复核.
    ``expected_stage`` is the stage the page showed: if someone moved the item since,
    :class:`StaleRectification` is raised and nothing is written.
    """
    with write_transaction() as session:
        item = session.get(Rectification, item_id, with_for_update=True, populate_existing=True)
        office = session.get(Office, item.office_id) if item is not None else None
        facts = (
            None
            if item is None or office is None
            else rules.ItemFacts(
                stage=item.stage,
                region_codes=region_lineage(office.region_code),
                office_id=office.id,
            )
        )
        if item is None or facts is None or not rules.may_see(facts, actor_facts(supervisor)):
            # The refusal is recorded (this transaction commits only the audit row).
            audit.record(
                session,
                at=now,
                user_id=supervisor.id,
                action="denied",
                success=False,
                ip=ip,
                target=f"rectification:{item_id}",
                detail={"move": "advance"},
            )
            item = None
        else:
            _move(session, item, facts, supervisor, note, now, expected_stage, ip, send_back)
    if item is None:
        raise RectificationNotFound(N_("整改事项不存在"))
    return item


def office_items(office_id: int, *, open_only: bool = True) -> list[Rectification]:
    """The rated office's items (its clerks' workbench), by deadline."""
    stmt = sa.select(Rectification).where(Rectification.office_id == office_id)
    if open_only:
        stmt = stmt.where(Rectification.stage.in_(sorted(s.value for s in rules.OPEN_STAGES)))
    return list(db.session.scalars(stmt.order_by(Rectification.due_on, Rectification.id)).all())


def office_item(office_id: int, item_id: int) -> Rectification | None:
    """One item of the rated office, or None (another office's answers like none)."""
    item = db.session.get(Rectification, item_id)
    return item if item is not None and item.office_id == office_id else None
