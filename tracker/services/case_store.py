"""Reading a case for a move and writing what the move changed, with its event and notice.

The plumbing every case operation shares (``services/cases.py``, ``services/deadlines.py``):
the facts the domain's rules read (``case_facts``, ``actor_facts``, ``timing_of``), the row
lock and optimistic version check (``load_for_update``, ``write_case``: a stale write raises
``StaleCase`` and writes nothing), the history event with its counters (``record_event``), the
applicant's notice with its SMS/e-mail outbox rows (``notify_applicant``) and the materials
filed with a move (``attach_materials``). Nothing here commits: the operation does, once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, scoped_session

from ..domain import clock
from ..domain.effects import Timing
from ..domain.errors import DomainError
from ..domain.messages import applicant_message, applicant_notice
from ..domain.regions import region_lineage
from ..domain.states import CaseStatus, Role
from ..domain.text import N_, Named, Text
from ..domain.workflow import Action, ActorFacts, CaseFacts, SubTaskFacts
from ..models import (
    Attachment,
    Case,
    CaseEvent,
    ClockPause,
    Notification,
    OutboxMessage,
    SubTask,
    User,
)
from . import wording

if TYPE_CHECKING:
    from .uploads import StoredFile


CUSTODY_BEFORE = "custody_before"  # session.info: {case id: office} while a move is written


class StaleCase(DomainError):
    """Someone else changed the case first; nothing of this move was written."""

    code = "stale_case"

    def __init__(self, case: Case | None = None) -> None:
        super().__init__("办件已被他人更新，请查看最新情况后再操作")
        self.case = case


class CaseNotFound(DomainError):
    code = "not_found"


def _forget_custody(session: Session, *_: Any) -> None:
    session.info.pop(CUSTODY_BEFORE, None)


sa.event.listen(Session, "after_commit", _forget_custody)
sa.event.listen(Session, "after_rollback", _forget_custody)


# ---- facts for the domain ------------------------------------------------------------------


def actor_facts(user: User | None) -> ActorFacts:
    if user is None:
        return ActorFacts(role=Role.SYSTEM)
    scope = None
    if user.role is Role.SUPERVISOR and user.scope_region_code is not None:
        scope = frozenset({user.scope_region_code})
    return ActorFacts(role=user.role, user_id=user.id, office_id=user.office_id, region_codes=scope)


def subtask_facts(t: SubTask) -> SubTaskFacts:
    return SubTaskFacts(
        id=t.id, office_id=t.office_id, status=t.status, was_accepted=t.was_accepted
    )


def case_facts(case: Case) -> CaseFacts:
    checks = set()
    if case.formal_checked_at is not None:
        checks.add(Action.FORMAL_CHECK)
    if case.identity_checked_at is not None:
        checks.add(Action.IDENTITY_CHECK)
    return CaseFacts(
        status=case.status,
        mode=case.mode,
        applicant_id=case.applicant_id,
        receiving_office_id=case.receiving_office_id,
        competent_office_id=case.competent_office_id,
        custody_office_id=case.custody_office_id,
        accepted=case.accepted_at is not None,
        checks=frozenset(checks),
        subtasks=tuple(subtask_facts(t) for t in case.subtasks),
        extension_pending=case.extension_requested_days is not None,
        delivered=case.delivered_at is not None,
        region_codes=region_lineage(case.receiving_office.region_code)
        | region_lineage(case.competent_office.region_code),
    )


def pauses_of(case_id: int, session: Session | scoped_session[Any]) -> list[ClockPause]:
    return list(
        session.scalars(
            sa.select(ClockPause).where(ClockPause.case_id == case_id).order_by(ClockPause.id)
        )
    )


def spans_of(pauses: Sequence[ClockPause]) -> tuple[clock.Pause, ...]:
    return tuple(
        clock.Pause(p.started_on, p.ended_on, p.kind)  # type: ignore[arg-type]
        for p in pauses
    )


def timing_of(case: Case, pauses: Sequence[ClockPause]) -> Timing:
    """The clock facts of a case for ``effects`` (its pauses loaded by the caller)."""
    return Timing(
        received_on=case.received_on,
        promised_days=case.promised_days,
        statutory_days=case.service.statutory_days,
        clock_start_on=case.clock_start_on,
        extension_days=case.extension_days,
        extension_requested_days=case.extension_requested_days,
        extension_due_on=case.extension_due_on,
        due_on=case.due_on,
        due_pending_year=case.due_pending_year,
        pauses=spans_of(pauses),
    )


def notify_applicant(
    session: Session, case: Case, action: Action, reason: str | None, now: datetime
) -> Notification | None:
    msg = applicant_message(
        action,
        service_name=case.service.name_zh,
        tracking_number=case.tracking_number,
        reason=reason,
        due_on=case.due_on,
    )
    if msg is None:
        return None
    params: dict[str, Any] = {
        "action": action.value,
        "service_zh": case.service.name_zh,
        "service_en": case.service.name_en,
        "tracking_number": case.tracking_number,
        "reason": reason,
        "due_on": case.due_on.isoformat() if case.due_on is not None else None,
    }
    if isinstance(reason, Text):  # a note made by the domain (N_): re-made in English
        params["reason_msgid"] = reason.msgid
        params["reason_params"] = {k: str(v) for k, v in reason.params.items()}

    note = Notification(
        user_id=case.applicant_id,
        case_id=case.id,
        created_at=now,
        title=msg[0],
        body=msg[1],
        params=params,
    )
    session.add(note)
    session.flush()
    applicant = case.applicant
    if not (applicant.phone or applicant.email):
        return note
    # SMS and e-mail in the applicant's language (users.locale; Chinese if never chosen).
    subject, body = _outgoing(case, action, reason, applicant.locale)
    if applicant.phone:
        session.add(
            OutboxMessage(
                notification_id=note.id,
                channel="sms",
                recipient=applicant.phone,
                subject=subject,
                body=body,
                created_at=now,
            )
        )
        session.info.setdefault("wake", set()).add("outbox")
    if applicant.email:
        session.add(
            OutboxMessage(
                notification_id=note.id,
                channel="email",
                recipient=applicant.email,
                subject=wording.render(N_("【通办】%(title)s", title=subject), applicant.locale),
                body=body,
                created_at=now,
            )
        )
        session.info.setdefault("wake", set()).add("outbox")
    return note


def _outgoing(
    case: Case, action: Action, reason: str | None, locale: str | None
) -> tuple[str, str]:
    """The notice's title and body in ``locale`` (for the SMS and e-mail)."""
    made = applicant_notice(
        action,
        service_name=Named(case.service.name_zh, case.service.name_en or ""),
        tracking_number=case.tracking_number,
        reason=reason,
        due_on=case.due_on,
    )
    assert made is not None  # noqa: S101 - the caller made the same notice
    title, lines = made
    return wording.render(title, locale), "\n".join(wording.render(line, locale) for line in lines)


def record_event(
    session: Session,
    case: Case,
    action: Action,
    actor: User | None,
    from_status: CaseStatus | None,
    now: datetime,
    reason: str | None = None,
    payload: Mapping[str, Any] | None = None,
    ip: str | None = None,
    metrics: Mapping[str, int] | None = None,
) -> CaseEvent:
    event = CaseEvent(
        case_id=case.id,
        at=now,
        actor_id=actor.id if actor else None,
        actor_role=actor.role if actor else Role.SYSTEM,
        office_id=actor.office_id if actor else None,
        action=action.value,
        from_status=from_status,
        to_status=case.status,
        reason=(reason or None),
        payload=dict(payload or {}),
        ip=ip,
    )
    session.add(event)
    from . import rollup, webhooks  # counters and webhooks move in the history's transaction

    rollup.record(session, event, case, metrics)
    custody_before = session.info.get(CUSTODY_BEFORE, {}).pop(case.id, None)
    webhooks.record(session, event, case, custody_before, now)
    return event


def load_for_update(session: Session, case_id: int) -> Case:
    case = session.scalars(
        sa.select(Case)
        .where(Case.id == case_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if case is None:
        raise CaseNotFound(N_("办件不存在"))
    return case


def write_case(session: Session, case: Case, values: dict[str, Any]) -> None:
    """Apply ``values`` only if the case is still at the version and state we read."""
    values = {**values, "version": case.version + 1}
    custody_before = case.custody_office_id
    result = session.execute(
        sa.update(Case)
        .where(Case.id == case.id, Case.version == case.version, Case.status == case.status)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleCase()
    if values.get("custody_office_id", custody_before) != custody_before:
        # The office that held the case before this move hears of it too (record_event).
        session.info.setdefault(CUSTODY_BEFORE, {})[case.id] = custody_before
    for key, value in values.items():
        # Keep the loaded object in step without marking it dirty (no second UPDATE).
        sa.orm.attributes.set_committed_value(case, key, value)


def attach_materials(
    session: Session,
    case: Case,
    user: User,
    now: datetime,
    files: Sequence[tuple[str, StoredFile]],
    licences: Mapping[str, str],
) -> None:
    for code, stored in files:
        session.add(
            Attachment(
                case_id=case.id,
                material_code=code,
                original_name=stored.original_name,
                stored_name=stored.stored_name,
                content_type=stored.content_type,
                size=stored.size,
                sha256=stored.sha256,
                uploaded_by_id=user.id,
                uploaded_at=now,
            )
        )
    for code, number in licences.items():
        if number.strip():
            session.add(
                Attachment(
                    case_id=case.id,
                    material_code=code,
                    e_licence_number=number.strip(),
                    uploaded_by_id=user.id,
                    uploaded_at=now,
                )
            )


def link_notice(note: Notification | None, notice: Any) -> None:
    """Point the applicant's in-app notice of a move at the written notice the move issued."""
    if note is None or notice is None:
        return
    note.params = {
        **(note.params or {}),
        "notice_id": notice.id,
        "notice_kind": notice.kind,
        "notice_number": notice.number,
    }
