"""A clerk's workbench: the office's queue, one case with the moves the workflow allows now,
sub-tasks of joint cases, bulk accept/assign, and the office's canned notes.

One guard for the blueprint: a signed-in clerk. A case is visible to a clerk when their office
holds it, received it, is competent for it, or has a sub-task on it; any other tracking number
answers 404 on every route, exactly like a number that does not exist. Whether a move is
allowed is the workflow's business: the page offers ``available_actions`` and the services
refuse everything else (a refusal is shown with the typed text kept, HTTP 422; a move made on
an out-of-date version gets the 409 "this case changed" page and writes nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ...domain.calendar import WorkingCalendar
from ...domain.errors import DomainError
from ...domain.identifiers import mask_phone, mask_resident_id
from ...domain.states import CaseStatus, HandlingMode, Role, SubTaskStatus
from ...domain.workflow import (
    CASE_ACTIONS,
    SUBTASK_TRANSITIONS_BY_ACTION,
    TRANSITIONS_BY_ACTION,
    Action,
    available_actions,
    available_subtask_actions,
)
from ...extensions import db
from ...models import Attachment, Case, Office, Region, Service, SubTask, User
from ...services import cases as case_ops
from ...services import office as office_ops
from ...services import queries
from ...services.calendar import get_calendar, local_date
from .. import action_label, loc, wallclock
from ..downloads import send_attachment
from . import forms

bp = Blueprint("clerk", __name__, url_prefix="/clerk")

# Canned notes offered with a move, by the note's kind.
CANNED_KIND = {Action.REQUEST_SUPPLEMENT: "supplement", Action.REJECT: "rejection"}
DANGER = {Action.REJECT, Action.REFUSE, Action.CANCEL, Action.SUBTASK_CANCEL}
NOTE_KINDS = {"supplement": _l("补正告知"), "rejection": _l("不予受理理由"), "other": _l("其他")}
CONFLICT_EVENTS = 5


def _ip() -> str | None:
    return request.remote_addr


def _folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def _me() -> User:
    user: User = current_user._get_current_object()  # the services take the model, not a proxy
    return user


def _office_id() -> int:
    return int(current_user.office_id)


@bp.before_request
@login_required
def _clerks_only() -> None:
    if current_user.role is not Role.CLERK or current_user.office_id is None:
        abort(403)
    g.personal_data = True


# ---- which cases this clerk may see ----------------------------------------------------------


def _load_visible(*where: sa.ColumnElement[bool]) -> Case | None:
    return queries.visible_case(_office_id(), *where)


def _find_case(tracking_number: str) -> Case | None:
    number = tracking_number.strip().upper()
    if not number or len(number) > 32:
        return None
    return _load_visible(Case.tracking_number == number)


def _case_or_404(tracking_number: str) -> Case:
    case = _find_case(tracking_number)
    if case is None:
        abort(404)
    return case


def _colleagues() -> list[User]:
    """Active clerks of the same office (assignment targets), the clerk first."""
    return sorted(queries.office_clerks(_office_id()), key=lambda u: u.id != current_user.id)


def _colleague(raw: str | None) -> User | None:
    if raw == "me":
        return _me()
    user_id = forms.parse_int(raw)
    return next((u for u in _colleagues() if u.id == user_id), None)


# ---- the queue -------------------------------------------------------------------------------


def _risk_until(today: date, calendar: WorkingCalendar) -> date:
    return queries.risk_until(today, current_app.config["AT_RISK_WORKING_DAYS"], calendar)


def _office_clock(case: Case, today: date, risk_until: date,
                  calendar: WorkingCalendar) -> queries.ClockView:
    return queries.office_clock(case, today, risk_until, calendar,
                                current_app.config["AT_RISK_WORKING_DAYS"])


def _office_services(office: Office) -> list[Service]:
    dept = office.department_code
    services = [s for _, group in queries.catalogue() for s in group]
    mine = [s for s in services if dept in (s.department_code, s.competent_department_code)]
    return mine or services


def _subtask_rows(office_id: int) -> list[tuple[SubTask, Case]]:
    return queries.office_subtask_rows(office_id)


@bp.get("/")
def queue() -> str:
    office = db.session.get(Office, _office_id())
    assert office is not None
    services = _office_services(office)
    args = forms.queue_args(request.args, {s.id for s in services})
    today = local_date(wallclock.now())
    calendar = get_calendar()
    risk_until = _risk_until(today, calendar)
    page = queries.office_queue(_office_id(), args.filters, user_id=current_user.id,
                                today=today, risk_until=risk_until)
    pages = max(1, -(-page.total // queries.QUEUE_PAGE))
    open_statuses = [s for s in CaseStatus if not s.is_closed]
    return render_template(
        "clerk/queue.html", office=office, services=services, args=args.raw,
        filters=args.filters,
        rows=[(c, _office_clock(c, today, risk_until, calendar)) for c in page.rows],
        total=page.total, counts=page.counts, page=min(args.filters.page, pages), pages=pages,
        open_total=sum(page.counts.get(s.value, 0) for s in open_statuses),
        open_statuses=open_statuses,
        closed_statuses=[s for s in CaseStatus if s.is_closed],
        due_filters=queries.DUE_FILTERS, subtasks=_subtask_rows(office.id),
        colleagues=_colleagues(), per_page=queries.QUEUE_PAGE)


@dataclass
class BulkResult:
    tracking_number: str
    ok: bool
    message: str = ""


@bp.post("/bulk")
def bulk() -> str | Response:
    numbers = list(dict.fromkeys(
        n.strip().upper()[:32] for n in request.form.getlist("case") if n.strip()))
    op = request.form.get("op")
    assignee = _colleague(request.form.get("assignee")) if op == "assign" else None
    problem = (_("请先勾选办件") if not numbers
               else _("请选择批量操作") if op not in ("accept", "assign")
               else _("请选择分派给谁") if op == "assign" and assignee is None
               else _("一次最多处理 %(n)s 件", n=queries.QUEUE_PAGE)
               if len(numbers) > queries.QUEUE_PAGE else None)
    if problem:
        flash(problem, "error")
        return redirect(url_for("clerk.queue"))
    me, now, results = _me(), wallclock.now(), []
    for number in numbers:
        case = _find_case(number)
        if case is None:
            results.append(BulkResult(number, False, _("办件不存在或不属于本部门")))
            continue
        try:
            # Each case on its own, at the version it has now: one refusal stops nothing else.
            if op == "accept":
                case_ops.act(case.id, Action.ACCEPT, me, now, expected_version=case.version,
                             ip=_ip())
            else:
                case_ops.assign(case.id, me, assignee, now, expected_version=case.version,
                                ip=_ip())
        except DomainError as exc:
            results.append(BulkResult(case.tracking_number, False, exc.message))
        else:
            results.append(BulkResult(case.tracking_number, True))
    return render_template(
        "clerk/bulk.html", results=results,
        title=(_("批量受理") if op == "accept" else _("批量分派")), assignee=assignee,
        ok=sum(r.ok for r in results), refused=sum(not r.ok for r in results))


# ---- one case --------------------------------------------------------------------------------


@dataclass
class ActionForm:
    action: Action
    reason_required: bool
    danger: bool
    canned: list[Any] = field(default_factory=list)


def _canned_for(action: Action) -> dict[int, str]:
    kind = CANNED_KIND.get(action)
    if kind is None:
        return {}
    return {n.id: n.text for n in office_ops.canned_notes(_office_id()) if n.kind == kind}


def _form_rows(case: Case) -> list[tuple[str, str]]:
    """(label, shown value) of each answer, in the service's field order."""
    rows = []
    for f in case.service.fields:
        if f.name not in case.form_data:
            continue
        value = case.form_data[f.name]
        shown = "" if value is None else str(value)
        if f.type == "select":
            shown = next((loc(c, "label") for c in (f.choices or ())
                          if c.get("value") == value), shown)
        elif f.type == "region" and shown:
            region = db.session.get(Region, shown)
            shown = f"{loc(region, 'name')} ({shown})" if region else shown
        elif f.type == "resident_id" and shown:
            shown = mask_resident_id(shown)  # never in full on a page (SECURITY.md)
        elif f.type == "phone" and shown:
            shown = mask_phone(shown)
        rows.append((loc(f, "label"), shown))
    return rows


def _render_case(case: Case, *, status: int = 200, errors: dict[str, str] | None = None,
                 posted: tuple[str, Any] | None = None, revealed: str | None = None,
                 reveal_reason: str = "") -> tuple[str, int]:
    me = _me()
    office_id = _office_id()
    today = local_date(wallclock.now())
    calendar = get_calendar()
    clock = queries.case_clock(case, today, current_app.config["AT_RISK_WORKING_DAYS"])
    facts = case_ops.case_facts(case)
    actor = case_ops.actor_facts(me)
    notes = office_ops.canned_notes(office_id)
    actions = [
        ActionForm(a, TRANSITIONS_BY_ACTION[a].reason_required, a in DANGER,
                   [n for n in notes if n.kind == CANNED_KIND.get(a)])
        for a in available_actions(facts, actor)
    ]
    subtasks = [
        (t, [(a, SUBTASK_TRANSITIONS_BY_ACTION[a].reason_required, a in DANGER)
             for a in available_subtask_actions(facts, case_ops.subtask_facts(t), actor)])
        for t in case.subtasks
    ]
    live_subtasks = any(t.status is not SubTaskStatus.CANCELLED for t in case.subtasks)
    needs_offices = case.mode is HandlingMode.JOINT and not live_subtasks and any(
        a.action in (Action.START_PROCESSING, Action.SEND_CONTACT_LETTERS) for a in actions)
    cooperation_offices = [
        (role, [(province, [o for o in offices if o.id != office_id])
                for province, offices in queries.offices_by_province(role.department_code)])
        for role in case.service.cooperations
    ] if needs_offices else []
    holds = case.custody_office_id == office_id
    materials = {m.code: m for m in case.service.materials}
    html = render_template(
        "clerk/case.html", case=case, events=queries.timeline(case),
        clock=clock, office_clock=(
            clock if case.accepted_at is not None or case.status.is_closed
            else _office_clock(case, today, _risk_until(today, calendar), calendar)),
        actions=actions, subtasks=subtasks, cooperation_offices=cooperation_offices,
        materials=materials, form_rows=_form_rows(case),
        other_attachments=[a for a in case.attachments if a.material_code not in materials],
        phone_masked=mask_phone(case.applicant.phone or "") if case.applicant.phone else "",
        can_reveal=office_id in (case.custody_office_id, case.receiving_office_id,
                                 case.competent_office_id),
        can_assign=holds and not case.status.is_closed,
        colleagues=_colleagues() if holds else [], holds=holds,
        acceptance_deadline=(case.act_by if case.accepted_at is None and case.act_by
                             and case.act_by.year < 9999 else None),
        errors=errors or {}, posted_action=posted[0] if posted else None,
        posted=posted[1] if posted else {}, revealed=revealed, reveal_reason=reveal_reason,
        appeal_default=forms.DEFAULT_APPEAL_RIGHTS, delivery_methods=forms.DELIVERY_METHODS,
    )
    return html, status


@bp.get("/cases/<tracking_number>")
def case(tracking_number: str) -> tuple[str, int]:
    return _render_case(_case_or_404(tracking_number))


def _conflict(case_id: int, held_version: int | None, attempted: str) -> tuple[str, int]:
    """409: what happened to the case since the clerk's page was drawn; nothing was written."""
    db.session.rollback()
    current = _load_visible(Case.id == case_id)
    if current is None:
        abort(404)
    events = queries.timeline(current)
    # One event per version step (submission is version 1), so the events the clerk has not
    # seen are those after the first ``held_version``; otherwise show the latest few.
    newer = events[held_version:] if held_version and 0 < held_version < len(events) else []
    return render_template(
        "clerk/conflict.html", case=current, events=newer or events[-CONFLICT_EVENTS:],
        since_held=bool(newer), attempted=attempted), 409


def _version() -> int:
    version = forms.parse_int(request.form.get("version"))
    if version is None:
        abort(400, description=_("表单缺少办件版本号，请刷新页面后重试。"))
    return version


@bp.post("/cases/<tracking_number>/act")
def act(tracking_number: str) -> tuple[str, int] | Response:
    case = _case_or_404(tracking_number)
    try:
        action = Action(request.form.get("action", ""))
    except ValueError:
        abort(400)
    if action not in CASE_ACTIONS:
        abort(400)
    version = _version()
    if version != case.version:
        return _conflict(case.id, version, action_label(action.value))
    posted = (action.value, request.form)
    data = forms.action_input(
        action, request.form, material_codes=[m.code for m in case.service.materials],
        canned=_canned_for(action), cooperation_count=len(case.service.cooperations),
        statutory_days=case.service.statutory_days)
    if data.errors:
        return _render_case(case, status=422, errors=data.errors, posted=posted)
    try:
        case_ops.act(case.id, action, _me(), wallclock.now(), expected_version=version,
                     reason=data.reason or None, payload=data.payload, ip=_ip())
    except case_ops.StaleCase:
        return _conflict(case.id, version, action_label(action.value))
    except DomainError as exc:
        return _render_case(_case_or_404(tracking_number), status=422,
                            errors={"_action": exc.message}, posted=posted)
    flash(_("已完成：%(action)s", action=action_label(action.value)), "success")
    return redirect(url_for("clerk.case", tracking_number=case.tracking_number))


@bp.post("/cases/<tracking_number>/assign")
def assign(tracking_number: str) -> tuple[str, int] | Response:
    case = _case_or_404(tracking_number)
    version = _version()
    op = request.form.get("op")
    if op not in ("claim", "release", "assign"):
        abort(400)
    assignee = (_me() if op == "claim" else None if op == "release"
                else _colleague(request.form.get("assignee")))
    if op == "assign" and assignee is None:
        return _render_case(case, status=422, errors={"_assign": _("请选择本部门的经办人员")})
    if version != case.version:
        return _conflict(case.id, version, action_label(op))
    try:
        case_ops.assign(case.id, _me(), assignee, wallclock.now(), expected_version=version, ip=_ip())
    except case_ops.StaleCase:
        return _conflict(case.id, version, action_label(op))
    except DomainError as exc:
        return _render_case(_case_or_404(tracking_number), status=422,
                            errors={"_assign": exc.message})
    flash(_("已释放办件") if assignee is None else
          _("已认领办件") if assignee.id == current_user.id else
          _("已分派给 %(name)s", name=assignee.real_name), "success")
    return redirect(url_for("clerk.case", tracking_number=case.tracking_number))


@bp.post("/cases/<tracking_number>/reveal")
def reveal(tracking_number: str) -> tuple[str, int]:
    case = _case_or_404(tracking_number)
    reason = forms.clean_text(request.form.get("reason"), 200)
    try:
        full = office_ops.reveal_resident_id(_me(), case, reason, wallclock.now(), ip=_ip())
    except DomainError as exc:
        return _render_case(case, status=403 if exc.code == "forbidden" else 422,
                            errors={"_reveal": exc.message}, reveal_reason=reason)
    # Shown on this response only (POST, no-store); never put in a URL or a flash message.
    return _render_case(case, revealed=full)


@bp.get("/cases/<tracking_number>/files/<int:attachment_id>")
def download(tracking_number: str, attachment_id: int) -> Response:
    case = _case_or_404(tracking_number)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.case_id != case.id or attachment.stored_name is None:
        abort(404)
    return send_attachment(attachment, _folder())


@bp.post("/subtasks/<int:subtask_id>/act")
def subtask_act(subtask_id: int) -> tuple[str, int] | Response:
    task = db.session.get(SubTask, subtask_id)
    case = _load_visible(Case.id == task.case_id) if task is not None else None
    if task is None or case is None:
        abort(404)
    try:
        action = Action(request.form.get("action", ""))
    except ValueError:
        abort(400)
    if action not in SUBTASK_TRANSITIONS_BY_ACTION:
        abort(400)
    version = _version()
    reason = forms.clean_text(request.form.get("reason"), forms.REASON_MAX)
    try:
        case_ops.act_on_subtask(task.id, action, _me(), wallclock.now(), expected_version=version,
                                reason=reason or None, ip=_ip())
    except case_ops.StaleCase:
        return _conflict(case.id, None, action_label(action.value))
    except DomainError as exc:
        return _render_case(_load_visible(Case.id == case.id) or case, status=422,
                            errors={f"subtask-{task.id}": exc.message},
                            posted=(f"subtask-{task.id}-{action.value}", request.form))
    flash(_("联系函 %(letter)s：已完成“%(action)s”", letter=task.letter_number,
            action=action_label(action.value)), "success")
    return redirect(url_for("clerk.case", tracking_number=case.tracking_number))


# ---- canned notes ----------------------------------------------------------------------------


@bp.route("/notes", methods=["GET", "POST"])
def notes() -> tuple[str, int] | Response:
    form: dict[str, str] = {"kind": "supplement", "text": ""}
    error = None
    if request.method == "POST":
        form = {"kind": request.form.get("kind", ""),
                "text": forms.clean_text(request.form.get("text"), 600)}
        try:
            office_ops.add_canned_note(_me(), form["kind"], form["text"], wallclock.now())
        except DomainError as exc:
            error = exc.message
        else:
            flash(_("常用语已添加"), "success")
            return redirect(url_for("clerk.notes"))
    items = office_ops.canned_notes(_office_id())
    return render_template(
        "clerk/notes.html", kinds=NOTE_KINDS, form=form, error=error,
        groups=[(kind, label, [n for n in items if n.kind == kind])
                for kind, label in NOTE_KINDS.items()],
    ), (422 if error else 200)


@bp.post("/notes/<int:note_id>/delete")
def delete_note(note_id: int) -> Response:
    try:
        office_ops.delete_canned_note(_me(), note_id)
    except DomainError:
        abort(404)
    flash(_("常用语已删除"), "success")
    return redirect(url_for("clerk.notes"))
