"""The office's queue (filters, counts, due badges) and bulk accept/assign from it."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ...domain.errors import DomainError
from ...domain.identifiers import TRACKING_LENGTH, normalize_tracking_number
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


# ---- searching by name without putting the name in a URL (SECURITY #13 item 8) -------------
# A name typed in the search box is POSTed; it is kept in the clerk's own session under a short
# random id, and the queue's address carries only that id. Access logs never see the name.

SEARCHES_KEY = "queue_searches"
SEARCH_TTL_SECONDS = 3600
SEARCHES_KEPT = 5


def _is_tracking_number(q: str) -> bool:
    number = normalize_tracking_number(q)
    return number.isascii() and number.isalnum() and len(number) == TRACKING_LENGTH


def _remember_search(q: str) -> str:
    now = int(time.time())
    kept = {
        sid: entry
        for sid, entry in dict(session.get(SEARCHES_KEY) or {}).items()
        if isinstance(entry, list) and len(entry) == 2 and now - entry[1] < SEARCH_TTL_SECONDS
    }
    sid = secrets.token_urlsafe(6)
    kept[sid] = [q, now]
    session[SEARCHES_KEY] = dict(sorted(kept.items(), key=lambda kv: kv[1][1])[-SEARCHES_KEPT:])
    return sid


def _recall_search(sid: str) -> str | None:
    entry = (session.get(SEARCHES_KEY) or {}).get(sid[:16])
    if not isinstance(entry, list) or len(entry) != 2:
        return None
    if int(time.time()) - int(entry[1]) >= SEARCH_TTL_SECONDS:
        return None
    return str(entry[0])


def _queue_args(services: list[Service]) -> tuple[forms.QueueArgs, dict[str, str]]:
    """The filters, and the arguments a link back to this view may carry (never a name)."""
    sid = request.args.get("search", "")
    values = request.args.copy()
    if sid:
        recalled = _recall_search(sid)
        if recalled is None:
            flash(_("搜索已过期，请重新输入姓名搜索"), "info")
            sid = ""
        values["q"] = recalled or ""
    args = forms.queue_args(values, {s.id for s in services})
    links = {k: v for k, v in args.raw.items() if v and k != "q"}
    if sid:
        links["search"] = sid
    elif args.raw.get("q"):
        links["q"] = args.raw["q"]
    return args, links


@bp.post("/search")
def queue_search() -> Response:
    """The filter form: a tracking number stays in the address, a name is remembered."""
    office = lookups.office(office_id())
    if office is None:
        abort(404)
    args = forms.queue_args(request.form, {s.id for s in _office_services(office)})
    target = {k: v for k, v in args.raw.items() if v and k != "q"}
    q = args.raw.get("q", "").strip()
    if q and _is_tracking_number(q):
        target["q"] = q
    elif q:
        target["search"] = _remember_search(q)
    return redirect(url_for("clerk.queue", **target), code=303)


@bp.get("/")
def queue() -> str:
    office = lookups.office(office_id())
    if office is None:
        abort(404)
    services = _office_services(office)
    args, links = _queue_args(services)
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
        links=links,
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
