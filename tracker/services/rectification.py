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
from ..domain.errors import DomainError
from ..domain.regions import region_lineage
from ..domain.text import N_
from ..models import Office, Rectification, User
from . import audit
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
) -> None:
    if expected_stage is not None and item.stage != expected_stage:
        raise _stale()
    move, text = rules.check(facts, actor_facts(supervisor), note)
    entry = rules.history_entry(move, text, supervisor.username or "", supervisor.id, now)
    values: dict[str, Any] = {"stage": move.target, "history": [*(item.history or []), entry]}
    if move.closes:
        values["closed_at"] = now
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
        detail={"from": move.source.value, "to": move.target.value},
    )
    session.flush()
    session.refresh(item)


def advance(
    item_id: int,
    supervisor: User,
    note: str | None,
    now: datetime,
    *,
    expected_stage: str | None = None,
    ip: str | None = None,
) -> Rectification:
    """Finish the item's current stage with ``note`` (what was done) and move it to the next.

    ``expected_stage`` is the stage the supervisor's page showed: if someone moved the item
    since, :class:`StaleRectification` is raised and nothing is written.
    """
    with write_transaction() as session:
        item = session.get(Rectification, item_id, with_for_update=True, populate_existing=True)
        office = session.get(Office, item.office_id) if item is not None else None
        facts = (
            None
            if item is None or office is None
            else rules.ItemFacts(stage=item.stage, region_codes=region_lineage(office.region_code))
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
            _move(session, item, facts, supervisor, note, now, expected_stage, ip)
    if item is None:
        raise RectificationNotFound(N_("整改事项不存在"))
    return item
