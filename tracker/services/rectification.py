"""Moving a bad rating's rectification item along (差评整改, 国办发〔2019〕51号):
verify (核实) → rectify (整改) → reply (反馈) → follow-up call (回访) → review (复核) → closed.

Each move records what was done in the stage just finished — a note is required — as one
entry ``{stage, to, note, by, by_id, at}`` appended to the item's history, and is audited.
Only a supervisor whose region covers the item's office may move it; anyone else gets the
same answer as for an item that does not exist (and the refusal is audited too).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..database import write_transaction
from ..domain.errors import DomainError
from ..domain.regions import in_scope
from ..domain.states import Role
from ..models import Office, Rectification, User
from ..models.rating import STAGES
from . import audit

NEXT_STAGE = dict(zip(STAGES[:-1], STAGES[1:], strict=True))
STAGE_LABELS = {"verify": "核实", "rectify": "整改", "reply": "反馈", "follow_up": "回访",
                "review": "复核", "closed": "已办结"}
NOTE_MIN, NOTE_MAX = 4, 1000


class RectificationNotFound(DomainError):
    code = "not_found"


class StaleRectification(DomainError):
    """Someone moved the item first; nothing of this move was written."""

    code = "stale"


def next_stage(stage: str) -> str | None:
    return NEXT_STAGE.get(stage)


def clean_note(note: str | None) -> str:
    """Whitespace runs made one space; control characters dropped."""
    text = "".join(c for c in (note or "") if c.isprintable() or c in "\n ")
    return " ".join(text.split())


def _move(session: Session, item: Rectification, supervisor: User, text: str, now: datetime,
          expected_stage: str | None, ip: str | None) -> None:
    if expected_stage is not None and item.stage != expected_stage:
        raise StaleRectification("该整改事项已被他人推进，请查看最新情况")
    target = NEXT_STAGE.get(item.stage)
    if target is None:
        raise DomainError("该整改事项已办结", code="closed")
    entry: dict[str, Any] = {"stage": item.stage, "to": target, "note": text,
                             "by": supervisor.username or "", "by_id": supervisor.id,
                             "at": now.isoformat()}
    values: dict[str, Any] = {"stage": target, "history": [*(item.history or []), entry]}
    if target == "closed":
        values["closed_at"] = now
    result = session.execute(
        sa.update(Rectification)
        .where(Rectification.id == item.id, Rectification.stage == item.stage)
        .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleRectification("该整改事项已被他人推进，请查看最新情况")
    audit.record(session, at=now, user_id=supervisor.id, action="rectification_move",
                 success=True, ip=ip, target=f"rectification:{item.id}",
                 detail={"from": item.stage, "to": target})
    session.flush()
    session.refresh(item)


def advance(item_id: int, supervisor: User, note: str | None, now: datetime, *,
            expected_stage: str | None = None, ip: str | None = None) -> Rectification:
    """Finish the item's current stage with ``note`` (what was done) and move it to the next.

    ``expected_stage`` is the stage the supervisor's page showed: if someone moved the item
    since, :class:`StaleRectification` is raised and nothing is written.
    """
    text = clean_note(note)
    if len(text) < NOTE_MIN:
        raise DomainError(f"请填写本阶段的处理情况（至少{NOTE_MIN}个字）", code="note_required")
    if len(text) > NOTE_MAX:
        raise DomainError(f"处理情况不超过{NOTE_MAX}个字", code="note_too_long")
    with write_transaction() as session:
        item = session.get(Rectification, item_id, with_for_update=True,
                           populate_existing=True)
        office = session.get(Office, item.office_id) if item is not None else None
        if item is None or office is None or supervisor.role is not Role.SUPERVISOR or (
                not in_scope(supervisor.scope_region_code, office.region_code)):
            # The refusal is recorded (this transaction commits only the audit row).
            audit.record(session, at=now, user_id=supervisor.id, action="denied",
                         success=False, ip=ip, target=f"rectification:{item_id}",
                         detail={"move": "advance"})
            item = None
        else:
            _move(session, item, supervisor, text, now, expected_stage, ip)
    if item is None:
        raise RectificationNotFound("整改事项不存在")
    return item
