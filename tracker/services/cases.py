"""Case operations: submit, every workflow move, sub-tasks, assignment, rating.

Each function loads, asks the domain, writes the change with its event and the applicant's
notice, and commits once (``write_transaction``). Callers pass the acting user and ``now``;
nothing here reads ``current_user`` or the clock. A move made against an out-of-date version
raises ``StaleCase`` (HTTP 409) and writes nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..database import write_transaction
from ..domain.delivery import RESULT_MATERIAL, delivery_words, pickup_code_from
from ..domain.delivery import next_status as next_delivery_status
from ..domain.effects import (
    DECISIONS,
    CaseChanges,
    act_by,
    effects,
)
from ..domain.errors import DomainError
from ..domain.identifiers import make_tracking_number, phone_last4
from ..domain.notices import NoticeKind
from ..domain.offices import OfficeFacts, check_office_choice
from ..domain.states import (
    CaseStatus,
    Role,
    SubTaskStatus,
)
from ..domain.subtasks import check_subtask
from ..domain.text import N_, Named
from ..domain.workflow import Action, check
from ..models import (
    Case,
    ClockPause,
    Notification,
    Office,
    Service,
    SubTask,
    TrackingSequence,
    User,
)
from . import notices
from .calendar import get_calendar, local_date
from .case_store import (  # noqa: F401  (StaleCase, CaseNotFound and the facts: re-exported)
    CaseNotFound,
    StaleCase,
    actor_facts,
    attach_materials,
    case_facts,
    link_notice,
    load_for_update,
    pauses_of,
    record_event,
    subtask_facts,
    timing_of,
    write_case,
)
from .case_store import notify_applicant as _notify  # a module global: tests replace it
from .deadlines import fill_pending_due_dates, refresh_act_by  # noqa: F401  (re-exported)
from .ratings import follow_up as follow_up_rating  # noqa: F401  (re-exported)
from .ratings import rate as rate  # re-exported: callers name it case_ops.rate

if TYPE_CHECKING:
    from .uploads import StoredFile


def _next_serial(session: Session, scope: str) -> int:
    """Atomically take the next tracking serial for ``scope`` (one statement on both engines).

    On PostgreSQL the serial is taken in a short transaction of its own and committed at once,
    so the province's one row per day is locked for that statement only, not until the
    submission commits (which made every submission of a province wait for the one before it:
    docs/performance.md). A submission that then fails leaves a gap in the day's numbering;
    numbers stay unique and valid. SQLite runs one writer at a time anyway (``BEGIN
    IMMEDIATE``): there the serial stays in the submission's transaction, with no extra commit.
    """
    bind = session.get_bind()
    postgres = bind.dialect.name == "postgresql"
    insert = postgresql.insert if postgres else sqlite.insert
    stmt = insert(TrackingSequence).values(scope=scope, last=1)
    upsert = stmt.on_conflict_do_update(
        index_elements=[TrackingSequence.scope],
        set_={"last": TrackingSequence.last + 1},
    ).returning(TrackingSequence.last)
    if postgres:
        engine = bind.engine if isinstance(bind, sa.engine.Connection) else bind
        with engine.begin() as own:
            return int(own.execute(upsert).scalar_one())
    return int(session.execute(upsert).scalar_one())


# ---- submission ----------------------------------------------------------------------------


def submit_case(
    *,
    applicant: User,
    service: Service,
    receiving_office: Office,
    competent_office: Office,
    form_data: Mapping[str, Any],
    now: datetime,
    idempotency_key: str | None = None,
    ip: str | None = None,
    files: Sequence[tuple[str, StoredFile]] = (),
    licences: Mapping[str, str] | None = None,
    via: Mapping[str, Any] | None = None,
    precheck: Mapping[str, str] | None = None,
    situation_code: str | None = None,
) -> Case:
    """File one application. The same ``idempotency_key`` from the same applicant files once.

    ``files`` pairs a material code with a file already written by ``uploads.store_upload``;
    ``licences`` cites e-licence numbers for materials that allow it. The caller discards the
    files if this raises.
    """
    check_submission(applicant, service, receiving_office, competent_office)
    with write_transaction() as session:
        if idempotency_key:
            existing = session.scalars(
                sa.select(Case).where(
                    Case.applicant_id == applicant.id, Case.idempotency_key == idempotency_key
                )
            ).one_or_none()
            if existing is not None:
                return existing
        return insert_case(
            session,
            applicant=applicant,
            service=service,
            receiving_office=receiving_office,
            competent_office=competent_office,
            form_data=form_data,
            now=now,
            idempotency_key=idempotency_key,
            ip=ip,
            files=files,
            licences=licences,
            via=via,
            precheck=precheck,
            situation_code=situation_code,
        )


def check_submission(
    applicant: User, service: Service, receiving_office: Office, competent_office: Office
) -> None:
    """Raise DomainError if this applicant cannot file this service with these offices."""
    if applicant.role is not Role.CITIZEN or applicant.phone is None:
        raise DomainError(N_("只有实名注册的申请人可以提交申请"), code="not_applicant")
    if not service.active:
        raise DomainError(N_("该事项暂停受理"), code="service_inactive")
    check_office_choice(
        mode=service.mode,
        service_department=service.department_code,
        competent_department=service.competent_department_code,
        receiving_policy=service.receiving,
        receiving=OfficeFacts(
            receiving_office.id, receiving_office.department_code, receiving_office.region_code
        ),
        competent=OfficeFacts(
            competent_office.id, competent_office.department_code, competent_office.region_code
        ),
    )


def insert_case(
    session: Session,
    *,
    applicant: User,
    service: Service,
    receiving_office: Office,
    competent_office: Office,
    form_data: Mapping[str, Any],
    now: datetime,
    idempotency_key: str | None = None,
    ip: str | None = None,
    files: Sequence[tuple[str, StoredFile]] = (),
    licences: Mapping[str, str] | None = None,
    via: Mapping[str, Any] | None = None,
    precheck: Mapping[str, str] | None = None,
    situation_code: str | None = None,
    bundle_application_id: int | None = None,
) -> Case:
    """Write one checked case (``check_submission``) with its materials, event and notice,
    inside the caller's write transaction: a bundle writes all its cases in one."""
    today = local_date(now)
    province2 = receiving_office.region_code[:2]
    serial = _next_serial(session, f"{province2}{today:%y%m%d}")
    case = Case(
        tracking_number=make_tracking_number(province2, today, serial),
        service_id=service.id,
        applicant_id=applicant.id,
        receiving_office_id=receiving_office.id,
        competent_office_id=competent_office.id,
        custody_office_id=receiving_office.id,
        status=CaseStatus.RECEIVED,
        version=1,
        mode=service.mode,
        promised_days=service.promised_days,
        service_version=service.version,
        submitted_at=now,
        received_on=today,
        applicant_phone_last4=phone_last4(applicant.phone or ""),  # check_submission: set
        idempotency_key=idempotency_key,
        form_data=dict(form_data),
        precheck=dict(precheck) if precheck is not None else None,
        situation_code=situation_code or None,
        bundle_application_id=bundle_application_id,
        updated_at=now,
        act_by=act_by(CaseStatus.RECEIVED, False, today, None, None, get_calendar()),
    )
    case.service = service
    session.add(case)
    session.flush()
    attach_materials(session, case, applicant, now, files, licences or {})
    record_event(
        session,
        case,
        Action.SUBMIT,
        applicant,
        None,
        now,
        ip=ip,
        payload={
            "receiving_office": receiving_office.code,
            "competent_office": competent_office.code,
            "materials": sorted({code for code, _ in files} | set(licences or {})),
        },
    )
    _notify(session, case, Action.SUBMIT, None, now)
    if via:
        audit_via(session, case, Action.SUBMIT, applicant, now, ip, via)
    return case


def audit_via(
    session: Session,
    case: Case,
    action: Action,
    actor: User | None,
    now: datetime,
    ip: str | None,
    via: Mapping[str, Any],
) -> None:
    """An API call that changed a case: which token, which operator (SECURITY.md, "every
    change is recorded"); in the change's own transaction, so one never lands without the other.
    ``via`` is the audit detail; ``audit_action`` and ``user_id`` in it, when present, name the
    row's action (default ``api.<action>``) and user (default the actor)."""
    from . import audit

    detail = {k: v for k, v in via.items() if k not in ("audit_action", "user_id")}
    audit.record(
        session,
        at=now,
        action=str(via.get("audit_action") or f"api.{action.value}"),
        success=True,
        user_id=via.get("user_id", actor.id if actor else None),
        ip=ip,
        target=f"case:{case.tracking_number}",
        detail={**detail, "version": case.version},
    )


# ---- workflow moves ------------------------------------------------------------------------


def act(
    case_id: int,
    action: Action,
    actor: User | None,
    now: datetime,
    *,
    expected_version: int | None = None,
    reason: str | None = None,
    payload: Mapping[str, Any] | None = None,
    ip: str | None = None,
    files: Sequence[tuple[str, StoredFile]] = (),
    licences: Mapping[str, str] | None = None,
    via: Mapping[str, Any] | None = None,
    result: StoredFile | None = None,
) -> Case:
    """Make one workflow move. ``actor=None`` is the system (the Art. 32 sweep).

    ``files``/``licences`` are materials filed with the move (the applicant's supplements);
    ``result`` is the result document (certificate, licence, letter) a decision attaches,
    already written by ``uploads.store_upload`` (the caller discards it if this raises).

    ``payload`` carries what a move needs: ``items`` (补正 list), ``days`` (extension),
    ``cooperating_offices`` (joint: office ids, one per cooperation role, when processing
    starts), ``delivery_method``/``delivery_ref`` (delivery), ``competent_office_hint``
    (rejection: the office that is competent if not us).
    """
    payload = dict(payload or {})
    payload.pop("pickup_code", None)  # made here, never taken from a caller
    reason = (reason or "").strip() or None
    with write_transaction() as session:
        case = load_for_update(session, case_id)
        if expected_version is not None and case.version != expected_version:
            raise StaleCase(case)
        facts = case_facts(case)
        check(action, facts, actor_facts(actor), reason)
        notices.check_move(action, reason, payload)  # a notice's facts: before any write
        if result is not None and (action not in DECISIONS or actor is None):
            raise DomainError(N_("只有办结时可以附上办理结果"), code="result")
        from_status, today = case.status, local_date(now)
        pauses = pauses_of(case.id, session)
        given = {**payload, "pickup_code": new_pickup_code()}
        changes = effects(action, facts, timing_of(case, pauses), today, get_calendar(), given)
        _persist(session, case, changes, pauses, now, reason, payload)
        if files or licences:
            if actor is None:
                raise DomainError(N_("只有申请人可以提交材料"), code="not_applicant")
            attach_materials(session, case, actor, now, files, licences or {})
            payload["materials"] = sorted({c for c, _ in files} | set(licences or {}))
        if result is not None and actor is not None:
            attach_materials(session, case, actor, now, [(RESULT_MATERIAL, result)], {})
            payload["result_document"] = result.original_name
        told = reason
        if action is Action.DELIVER:
            # The applicant is told how the result comes: the waybill, or the pickup code.
            told = delivery_words(str(case.delivery_method), case.delivery_ref)
            if case.delivery_method == "counter":
                payload.pop("delivery_ref", None)  # the pickup code stays off the history
        record_event(
            session,
            case,
            action,
            actor,
            from_status,
            now,
            reason,
            {**payload, **changes.record},
            ip,
            metrics=changes.metrics,
        )
        notice = notices.issue_for_move(session, case, action, actor, reason, payload, now)
        if action is Action.DELIVER and case.delivery_method:
            # 送达告知书: how the result comes (the waybill for post; the pickup code stays off
            # the notice as it stays off the history, the case page shows it to the applicant).
            method = str(case.delivery_method)
            notice = notices.issue(
                session,
                case,
                NoticeKind.DELIVERY,
                notices.delivery_facts(
                    method, case.delivery_ref if method == "post" else None, today, []
                ),
                now,
                actor=actor,
                action=action,
            )
        link_notice(_notify(session, case, action, told, now), notice)
        if via:
            audit_via(session, case, action, actor, now, ip, via)
    return case


def new_pickup_code() -> str:
    """Random digits for a counter pickup code (domain/delivery.py keeps the format)."""
    return pickup_code_from("".join(secrets.choice("0123456789") for _ in range(8)))


def update_delivery(
    case_id: int,
    actor: User,
    now: datetime,
    *,
    code: str = "",
    expected_version: int | None = None,
    ip: str | None = None,
) -> Case:
    """The delivery's second step, by a clerk of the receiving or the deciding office: a
    posted result signed for, or a counter result collected (the applicant's pickup code
    checked). An event on the timeline and a notice to the applicant."""
    with write_transaction() as session:
        case = load_for_update(session, case_id)
        if expected_version is not None and case.version != expected_version:
            raise StaleCase(case)
        offices = (case.receiving_office_id, case.competent_office_id)
        if actor.role is not Role.CLERK or actor.office_id not in offices:
            raise DomainError(N_("只有收件或办理部门的经办人员可以更新送达"), code="not_office")
        status = next_delivery_status(
            case.delivery_method, case.delivery_status, code=code, stored=case.delivery_ref or ""
        )
        action = Action.MARK_COLLECTED if status == "collected" else Action.MARK_DELIVERED
        write_case(session, case, {"delivery_status": status, "updated_at": now})
        record_event(
            session,
            case,
            action,
            actor,
            case.status,
            now,
            payload={"delivery_status": status},
            ip=ip,
        )
        _notify(session, case, action, None, now)
    return case


def _persist(
    session: Session,
    case: Case,
    changes: CaseChanges,
    pauses: list[ClockPause],
    now: datetime,
    reason: str | None,
    payload: dict[str, Any],
) -> None:
    """Write what ``effects`` decided: the pause rows, the sub-tasks, the case's columns."""
    today = local_date(now)
    if changes.closes_pause:
        for pause in pauses:
            if pause.ended_on is None:
                pause.ended_on = today
    if changes.opens_pause is not None:
        session.add(
            ClockPause(
                case_id=case.id,
                kind=changes.opens_pause.kind,
                started_on=today,
                reason=reason or "",
                items=list(payload.get("items", [])),
            )
        )
    if changes.cancels_subtasks:
        for task in case.subtasks:
            if task.status not in (SubTaskStatus.DONE, SubTaskStatus.CANCELLED):
                task.status = SubTaskStatus.CANCELLED
    if changes.sends_contact_letters:
        _send_contact_letters(session, case, payload, now)
    values = {
        **changes.values,
        **dict.fromkeys(changes.stamps, now),
        "status": changes.status,
        "act_by": changes.act_by,
        "updated_at": now,
    }
    if "custody_office_id" in changes.values:  # forwarded: the event names where to
        payload.setdefault("to_office_id", case.competent_office_id)
        payload.setdefault("to_office_name", case.competent_office.name_zh)
    write_case(session, case, values)


def _send_contact_letters(
    session: Session, case: Case, payload: dict[str, Any], now: datetime
) -> None:
    """Joint handling: one sub-task (a numbered contact letter) per cooperating office role."""
    if any(t.status is not SubTaskStatus.CANCELLED for t in case.subtasks):
        return  # already sent (processing resumed after a special procedure)
    roles = case.service.cooperations
    office_ids = [int(x) for x in payload.get("cooperating_offices", [])]
    if len(office_ids) != len(roles):
        raise DomainError(N_("请为每个协办角色选择协办部门"), code="cooperating_offices")
    letters: list[dict[str, Any]] = []
    for role, office_id in zip(roles, office_ids, strict=True):
        office = session.get(Office, office_id)
        if office is None or office.department_code != role.department_code:
            raise DomainError(
                N_(
                    "“%(role)s”须选择%(department)s部门的经办机构",
                    role=Named(role.role_zh, role.role_en),
                    department=role.department_code,
                ),
                code="cooperating_offices",
            )
        if office.id == case.custody_office_id:
            raise DomainError(N_("协办部门不能是本部门"), code="cooperating_offices")
        # 联系函编号: numbered within the case, so a letter sent again gets a new number.
        letter = f"LXH{case.tracking_number}-{len(case.subtasks) + len(letters) + 1}"
        task = SubTask(
            case_id=case.id,
            office_id=office.id,
            letter_number=letter,
            role_zh=role.role_zh,
            task_zh=role.task_zh,
            limit_days=role.limit_days,
            status=SubTaskStatus.SENT,
            created_at=now,
        )
        session.add(task)
        session.flush()
        letters.append(
            {
                "subtask_id": task.id,
                "letter_number": letter,
                "office": office.code,
                "office_name": office.name_zh,
            }
        )
    payload["contact_letters"] = letters


def act_on_subtask(
    subtask_id: int,
    action: Action,
    actor: User,
    now: datetime,
    *,
    expected_version: int | None = None,
    reason: str | None = None,
    ip: str | None = None,
) -> SubTask:
    """A cooperating (or the lead) office works a sub-task; recorded on the case's history."""
    reason = (reason or "").strip() or None
    with write_transaction() as session:
        task = session.get(SubTask, subtask_id)
        if task is None:
            raise CaseNotFound(N_("协办任务不存在"))
        case = load_for_update(session, task.case_id)
        if expected_version is not None and task.version != expected_version:
            raise StaleCase(case)
        before = task.status
        after = check_subtask(
            action, case_facts(case), subtask_facts(task), actor_facts(actor), reason
        )
        result = session.execute(
            sa.update(SubTask)
            .where(SubTask.id == task.id, SubTask.version == task.version, SubTask.status == before)
            .values(
                status=after,
                version=task.version + 1,
                was_accepted=task.was_accepted or after is SubTaskStatus.ACCEPTED,
                done_at=now if after is SubTaskStatus.DONE else task.done_at,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleCase(case)
        session.refresh(task)
        write_case(session, case, {"updated_at": now})
        record_event(
            session,
            case,
            action,
            actor,
            case.status,
            now,
            reason,
            {
                "subtask_id": task.id,
                "letter_number": task.letter_number,
                "from": before.value,
                "to": after.value,
            },
            ip,
        )
    return task


# ---- custody inside the office, rating -----------------------------------------------------


def assign(
    case_id: int,
    actor: User,
    assignee: User | None,
    now: datetime,
    *,
    expected_version: int | None = None,
    ip: str | None = None,
) -> Case:
    """Claim (assignee is the actor), assign to a colleague, or release (assignee None)."""
    with write_transaction() as session:
        case = load_for_update(session, case_id)
        if expected_version is not None and case.version != expected_version:
            raise StaleCase(case)
        if actor.role is not Role.CLERK or actor.office_id != case.custody_office_id:
            raise DomainError(N_("只有办件所在部门的经办人员可以分派"), code="not_custody")
        if case.status.is_closed:
            raise DomainError(N_("办件已结束"), code="closed")
        if assignee is not None and (
            assignee.role is not Role.CLERK or assignee.office_id != case.custody_office_id
        ):
            raise DomainError(N_("只能分派给本部门的经办人员"), code="assignee_office")
        action = (
            Action.RELEASE
            if assignee is None
            else Action.CLAIM
            if assignee.id == actor.id
            else Action.ASSIGN
        )
        write_case(
            session, case, {"assignee_id": assignee.id if assignee else None, "updated_at": now}
        )
        record_event(
            session,
            case,
            action,
            actor,
            case.status,
            now,
            payload={"assignee_id": assignee.id if assignee else None},
            ip=ip,
        )
    return case


def mark_notifications_read(user: User, now: datetime, ids: Sequence[int] | None = None) -> int:
    """Mark the user's notices read (all, or the given ids); returns how many changed."""
    with write_transaction() as session:
        stmt = sa.update(Notification).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
        if ids is not None:
            stmt = stmt.where(Notification.id.in_(list(ids)))
        result = session.execute(
            stmt.values(read_at=now).execution_options(synchronize_session=False)
        )
    return int(result.rowcount)  # type: ignore[attr-defined]
