"""One case on a clerk's workbench: the page, its moves, assignment, revealing the applicant's
ID number, attachments, and the moves on the case's sub-tasks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ...domain.delivery import NEXT_STATUS, RESULT_MATERIAL
from ...domain.effects import DECISIONS
from ...domain.errors import DomainError
from ...domain.identifiers import mask_phone, mask_resident_id
from ...domain.lateness import LATENESS_REASONS, is_late
from ...domain.states import HandlingMode, SubTaskStatus
from ...domain.subtasks import SUBTASK_TRANSITIONS_BY_ACTION, available_subtask_actions
from ...domain.workflow import TRANSITIONS_BY_ACTION, Action, available_actions
from ...models import Case
from ...services import cases as case_ops
from ...services import lookups, notices, queries, uploads
from ...services import office as office_ops
from ...services.calendar import get_calendar, local_date
from ...services.uploads import UploadLimits
from .. import action_label, loc, office_answer, say, wallclock
from ..downloads import send_attachment
from ..notice_files import send_notice
from . import forms
from .views import (
    bp,
    case_or_404,
    colleague,
    colleagues,
    conflict,
    folder,
    ip,
    me,
    office_clock,
    office_id,
    risk_until,
    version_or_400,
)

# Canned notes offered with a move, by the note's kind.
CANNED_KIND = {Action.REQUEST_SUPPLEMENT: "supplement", Action.REJECT: "rejection"}
DANGER = {Action.REJECT, Action.REFUSE, Action.CANCEL, Action.SUBTASK_CANCEL}


@dataclass
class OfferedMove:
    """A move the workflow offers this clerk now, as the page draws its button or form."""

    action: Action
    reason_required: bool
    danger: bool
    canned: list[Any] = field(default_factory=list)


def _canned_for(action: Action) -> dict[int, str]:
    kind = CANNED_KIND.get(action)
    if kind is None:
        return {}
    return {n.id: n.text for n in office_ops.canned_notes(office_id()) if n.kind == kind}


def _shown_answer(f: Any, value: Any) -> str:
    shown = "" if value is None else str(value)
    if f.type == "select":
        return next((loc(c, "label") for c in (f.choices or ()) if c.get("value") == value), shown)
    if f.type == "region" and shown:
        region = lookups.region(shown)
        return f"{loc(region, 'name')} ({shown})" if region else shown
    if f.type == "office" and shown:
        return office_answer(shown)  # the office's name in the page's language, and its code
    if f.type == "resident_id" and shown:
        return mask_resident_id(shown)  # never in full on a page (SECURITY.md)
    if f.type == "phone" and shown:
        return mask_phone(shown)
    return shown


def _form_rows(case: Case) -> list[tuple[str, str]]:
    """(label, shown value) of each answer, in the service's field order."""
    return [
        (loc(f, "label"), _shown_answer(f, case.form_data[f.name]))
        for f in case.form_fields
        if f.name in case.form_data
    ]


def _cooperation_offices(case: Case, actions: list[OfferedMove]) -> list[Any]:
    live_subtasks = any(t.status is not SubTaskStatus.CANCELLED for t in case.subtasks)
    needs_offices = (
        case.mode is HandlingMode.JOINT
        and not live_subtasks
        and any(a.action in (Action.START_PROCESSING, Action.SEND_CONTACT_LETTERS) for a in actions)
    )
    if not needs_offices:
        return []
    return [
        (
            role,
            [
                (province, [o for o in offices if o.id != office_id()])
                for province, offices in queries.offices_by_province(role.department_code)
            ],
            _named_office(case, role.department_code),
        )
        for role in case.service.cooperations
    ]


def _named_office(case: Case, department_code: str) -> int | None:
    """The office the applicant named in an ``office`` field of this department (the
    transfer-out centre, say): the contact letter's addressee to preselect."""
    for f in case.form_fields:
        if f.type == "office" and f.department_code == department_code:
            found = lookups.office_by_code(str(case.form_data.get(f.name) or ""))
            if found is not None and found.active and found.id != office_id():
                return found.id
    return None


def _render_case(
    case: Case,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    posted: tuple[str, Any] | None = None,
    revealed: str | None = None,
    reveal_reason: str = "",
) -> tuple[str, int]:
    mine = office_id()
    today = local_date(wallclock.now())
    clock = queries.case_clock(case, today, _at_risk_days())
    facts = case_ops.case_facts(case)
    actor = case_ops.actor_facts(me())
    notes = office_ops.canned_notes(mine)
    late = is_late(today, case.due_on) and not case.status.is_closed
    actions = [
        OfferedMove(
            a,
            TRANSITIONS_BY_ACTION[a].reason_required,
            a in DANGER,
            [n for n in notes if n.kind == CANNED_KIND.get(a)],
        )
        for a in available_actions(facts, actor)
        if not (late and a is Action.REQUEST_EXTENSION)  # too late to ask (lateness.py)
    ]
    subtasks = [
        (
            t,
            [
                (a, SUBTASK_TRANSITIONS_BY_ACTION[a].reason_required, a in DANGER)
                for a in available_subtask_actions(facts, case_ops.subtask_facts(t), actor)
            ],
        )
        for t in case.subtasks
    ]
    holds = case.custody_office_id == mine
    materials = {m.code: m for m in case.form_materials}
    html = render_template(
        "clerk/case.html",
        case=case,
        events=queries.timeline(case),
        clock=clock,
        office_clock=_office_clock_of(case, clock, today),
        actions=actions,
        subtasks=subtasks,
        cooperation_offices=_cooperation_offices(case, actions),
        materials=materials,
        form_rows=_form_rows(case),
        other_attachments=[
            a
            for a in case.attachments
            if a.material_code not in materials and a.material_code != RESULT_MATERIAL
        ],
        phone_masked=mask_phone(case.applicant.phone or "") if case.applicant.phone else "",
        can_reveal=mine
        in (case.custody_office_id, case.receiving_office_id, case.competent_office_id),
        can_assign=holds and not case.status.is_closed,
        colleagues=colleagues() if holds else [],
        holds=holds,
        acceptance_deadline=(
            case.act_by
            if case.accepted_at is None and case.act_by and case.act_by.year < 9999
            else None
        ),
        errors=errors or {},
        posted_action=posted[0] if posted else None,
        posted=posted[1] if posted else {},
        revealed=revealed,
        reveal_reason=reveal_reason,
        appeal_default=say(forms.DEFAULT_APPEAL_RIGHTS),  # in the page's language
        notices=notices.notices_of(case.id),
        delivery_methods=forms.DELIVERY_METHODS,
        late=late,
        lateness_reasons=LATENESS_REASONS,
        results=[a for a in case.attachments if a.material_code == RESULT_MATERIAL],
        delivery_step=(
            NEXT_STATUS.get(case.delivery_method or "", ("", ""))[1]
            if case.delivery_status == NEXT_STATUS.get(case.delivery_method or "", ("", ""))[0]
            and mine in (case.receiving_office_id, case.competent_office_id)
            else None
        ),
        upload_limits=UploadLimits(),
    )
    return html, status


def _at_risk_days() -> int:
    return int(current_app.config["AT_RISK_WORKING_DAYS"])


def _office_clock_of(case: Case, clock: queries.ClockView, today: Any) -> queries.ClockView:
    """The case's clock once accepted or closed; before, the office's acceptance deadline."""
    if case.accepted_at is not None or case.status.is_closed:
        return clock
    calendar = get_calendar()
    return office_clock(case, today, risk_until(today, calendar), calendar)


@bp.get("/cases/<tracking_number>")
def case(tracking_number: str) -> tuple[str, int]:
    return _render_case(case_or_404(tracking_number))


@bp.post("/cases/<tracking_number>/act")
def act(tracking_number: str) -> tuple[str, int] | Response:
    case = case_or_404(tracking_number)
    move = forms.MoveForm()
    action = move.chosen()
    if action is None:
        abort(400)
    version = version_or_400(move.version.data)
    if version != case.version:
        return conflict(case.id, version, action_label(action.value))
    posted = (action.value, request.form)
    form = forms.action_form(
        action,
        material_codes=[m.code for m in case.form_materials],
        canned=_canned_for(action),
        cooperation_count=len(case.service.cooperations),
        statutory_days=case.service.statutory_days,
        late=is_late(local_date(wallclock.now()), case.due_on),
    )
    errors = form.field_errors()
    if errors:
        return _render_case(case, status=422, errors=errors, posted=posted)
    result = None
    upload = request.files.get("result") if action in DECISIONS else None
    if upload is not None and upload.filename:
        try:
            result = uploads.store_upload(
                upload.stream, upload.filename, folder=folder(), limits=UploadLimits()
            )
        except DomainError as exc:
            return _render_case(case, status=422, errors={"result": exc.message}, posted=posted)
    try:
        case_ops.act(
            case.id,
            action,
            me(),
            wallclock.now(),
            expected_version=version,
            reason=form.reason_text() or None,
            payload=form.payload(),
            ip=ip(),
            result=result,
        )
    except case_ops.StaleCase:
        _discard(result)
        return conflict(case.id, version, action_label(action.value))
    except notices.NoticeFactsMissing as exc:  # the notice's facts, beside their fields
        return _render_case(
            case_or_404(tracking_number), status=422, errors=dict(exc.fields), posted=posted
        )
    except DomainError as exc:
        _discard(result)
        # A missing reason is said beside the reason box (the summary links to it).
        key = "reason" if exc.code == "reason_required" else "_action"
        return _render_case(
            case_or_404(tracking_number), status=422, errors={key: exc.message}, posted=posted
        )
    except BaseException:
        _discard(result)
        raise
    flash(_("已完成：%(action)s", action=action_label(action.value)), "success")
    return redirect(url_for("clerk.case", tracking_number=case.tracking_number))


def _discard(result: uploads.StoredFile | None) -> None:
    if result is not None:
        uploads.discard([result], folder())


@bp.post("/cases/<tracking_number>/delivery")
def delivery(tracking_number: str) -> tuple[str, int] | Response:
    """The delivery's second step: a posted result signed for, a counter result collected."""
    case = case_or_404(tracking_number)
    form = forms.DeliveryUpdateForm()
    version = version_or_400(form.version.data)
    if version != case.version:
        return conflict(case.id, version, _("更新送达"))
    try:
        case_ops.update_delivery(
            case.id,
            me(),
            wallclock.now(),
            code=form.code.data or "",
            expected_version=version,
            ip=ip(),
        )
    except case_ops.StaleCase:
        return conflict(case.id, version, _("更新送达"))
    except DomainError as exc:
        return _render_case(
            case_or_404(tracking_number),
            status=422,
            errors={"_delivery": exc.message},
            posted=("_delivery", request.form),
        )
    flash(_("送达状态已更新"), "success")
    return redirect(url_for("clerk.case", tracking_number=case.tracking_number))


@bp.post("/cases/<tracking_number>/assign")
def assign(tracking_number: str) -> tuple[str, int] | Response:
    case = case_or_404(tracking_number)
    form = forms.AssignForm()
    version = version_or_400(form.version.data)
    op = form.op.data
    if op is None:
        abort(400)
    assignee = me() if op == "claim" else None if op == "release" else colleague(form.assignee.data)
    if op == "assign" and assignee is None:
        return _render_case(case, status=422, errors={"_assign": _("请选择本部门的经办人员")})
    if version != case.version:
        return conflict(case.id, version, action_label(op))
    try:
        case_ops.assign(case.id, me(), assignee, wallclock.now(), expected_version=version, ip=ip())
    except case_ops.StaleCase:
        return conflict(case.id, version, action_label(op))
    except DomainError as exc:
        return _render_case(
            case_or_404(tracking_number), status=422, errors={"_assign": exc.message}
        )
    flash(
        _("已释放办件")
        if assignee is None
        else _("已认领办件")
        if assignee.id == current_user.id
        else _("已分派给 %(name)s", name=assignee.real_name),
        "success",
    )
    return redirect(url_for("clerk.case", tracking_number=case.tracking_number))


@bp.post("/cases/<tracking_number>/reveal")
def reveal(tracking_number: str) -> tuple[str, int]:
    case = case_or_404(tracking_number)
    reason = forms.RevealForm().reason.data or ""
    try:
        full = office_ops.reveal_resident_id(me(), case, reason, wallclock.now(), ip=ip())
    except DomainError as exc:
        return _render_case(
            case,
            status=403 if exc.code == "forbidden" else 422,
            errors={"_reveal": exc.message},
            reveal_reason=reason,
        )
    # Shown on this response only (POST, no-store); never put in a URL or a flash message.
    return _render_case(case, revealed=full)


@bp.get("/cases/<tracking_number>/files/<int:attachment_id>")
def download(tracking_number: str, attachment_id: int) -> Response:
    attachment = lookups.attachment_of(case_or_404(tracking_number), attachment_id)
    if attachment is None:
        abort(404)
    return send_attachment(attachment, folder())


@bp.get("/cases/<tracking_number>/notices/<int:notice_id>.pdf")
def notice(tracking_number: str, notice_id: int) -> Response:
    found = notices.notice_of_case(case_or_404(tracking_number).id, notice_id)
    if found is None:
        abort(404)
    return send_notice(found, wallclock.now())


@bp.post("/subtasks/<int:subtask_id>/act")
def subtask_act(subtask_id: int) -> tuple[str, int] | Response:
    task = lookups.subtask(subtask_id)
    case = lookups.office_case_by_id(office_id(), task.case_id) if task is not None else None
    if task is None or case is None:
        abort(404)
    form = forms.SubtaskForm()
    action = form.chosen()
    if action is None:
        abort(400)
    version = version_or_400(form.version.data)
    try:
        case_ops.act_on_subtask(
            task.id,
            action,
            me(),
            wallclock.now(),
            expected_version=version,
            reason=form.reason.data or None,
            ip=ip(),
        )
    except case_ops.StaleCase:
        return conflict(case.id, None, action_label(action.value))
    except DomainError as exc:
        return _render_case(
            lookups.office_case_by_id(office_id(), case.id) or case,
            status=422,
            errors={f"subtask-{task.id}": exc.message},
            posted=(f"subtask-{task.id}-{action.value}", request.form),
        )
    flash(
        _(
            "联系函 %(letter)s：已完成“%(action)s”",
            letter=task.letter_number,
            action=action_label(action.value),
        ),
        "success",
    )
    return redirect(url_for("clerk.case", tracking_number=case.tracking_number))
