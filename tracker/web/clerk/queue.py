"""The office's queue (filters, counts, due badges) and bulk accept/assign from it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ...domain.errors import DomainError
from ...domain.states import CaseStatus
from ...domain.workflow import Action
from ...models import Office, Service, User
from ...services import cases as case_ops
from ...services import lookups, queries, workqueue
from ...services.calendar import get_calendar, local_date
from .. import wallclock
from . import forms
from .views import (
    bp,
    colleague,
    colleagues,
    find_case,
    ip,
    me,
    office_clock,
    office_id,
    risk_until,
)


def _office_services(office: Office) -> list[Service]:
    dept = office.department_code
    services = [s for _, group in queries.catalogue() for s in group]
    mine = [s for s in services if dept in (s.department_code, s.competent_department_code)]
    return mine or services


@bp.get("/")
def queue() -> str:
    office = lookups.office(office_id())
    if office is None:
        abort(404)
    services = _office_services(office)
    args = forms.queue_args(request.args, {s.id for s in services})
    today = local_date(wallclock.now())
    calendar = get_calendar()
    until = risk_until(today, calendar)
    page = workqueue.office_queue(
        office.id, args.filters, user_id=current_user.id, today=today, risk_until=until
    )
    pages = max(1, -(-page.total // workqueue.QUEUE_PAGE))
    open_statuses = [s for s in CaseStatus if not s.is_closed]
    return render_template(
        "clerk/queue.html",
        office=office,
        services=services,
        args=args.raw,
        filters=args.filters,
        rows=[(c, office_clock(c, today, until, calendar)) for c in page.rows],
        total=page.total,
        counts=page.counts,
        page=min(args.filters.page, pages),
        pages=pages,
        open_total=sum(page.counts.get(s.value, 0) for s in open_statuses),
        open_statuses=open_statuses,
        closed_statuses=[s for s in CaseStatus if s.is_closed],
        due_filters=workqueue.DUE_FILTERS,
        subtasks=workqueue.office_subtask_rows(office.id),
        colleagues=colleagues(),
        per_page=workqueue.QUEUE_PAGE,
    )


@dataclass
class BulkResult:
    tracking_number: str
    ok: bool
    message: str = ""


@bp.post("/bulk")
def bulk() -> str | Response:
    form = forms.BulkForm()
    op = form.op.data
    assignee = colleague(form.assignee.data) if op == "assign" else None
    problem = form.problem(assignee)
    if problem:
        flash(problem, "error")
        return redirect(url_for("clerk.queue"))
    user, now = me(), wallclock.now()
    results = [_bulk_one(number, op, user, assignee, now) for number in form.numbers()]
    return render_template(
        "clerk/bulk.html",
        results=results,
        title=(_("批量受理") if op == "accept" else _("批量分派")),
        assignee=assignee,
        ok=sum(r.ok for r in results),
        refused=sum(not r.ok for r in results),
    )


def _bulk_one(
    number: str, op: str | None, user: User, assignee: User | None, now: datetime
) -> BulkResult:
    case = find_case(number)
    if case is None:
        return BulkResult(number, False, _("办件不存在或不属于本部门"))
    try:
        # Each case on its own, at the version it has now: one refusal stops nothing else.
        if op == "accept":
            case_ops.act(case.id, Action.ACCEPT, user, now, expected_version=case.version, ip=ip())
        else:
            case_ops.assign(case.id, user, assignee, now, expected_version=case.version, ip=ip())
    except DomainError as exc:
        return BulkResult(case.tracking_number, False, exc.message)
    return BulkResult(case.tracking_number, True)
