"""An office's queue, as the workbench lists it: the same filters and order (the day the
office must act, then id), paged by an opaque cursor instead of page numbers.

An office token reads its own office's queue only; a supervisor token any office inside its
region; a citizen token none (403). Another office, or one outside the region, answers 404 as
one that does not exist."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

from flask import request
from flask_babel import gettext as _
from spectree import Response

from ...domain.regions import in_scope
from ...services import api_reads, workqueue
from ...services.calendar import get_calendar, local_date
from ...services.workqueue import QueueFilters
from .. import wallclock
from . import bp, current_token, present
from .cases import operator
from .models import QueuePage, QueueQuery
from .problems import ApiProblem
from .spec import spec


def encode_cursor(act_by: date, case_id: int) -> str:
    return base64.urlsafe_b64encode(f"{act_by.isoformat()}|{case_id}".encode()).decode()


def decode_cursor(raw: str) -> tuple[date, int]:
    try:
        text = base64.urlsafe_b64decode(raw.encode() + b"=" * (-len(raw) % 4)).decode()
        day, _sep, number = text.partition("|")
        case_id = int(number)
        if not 0 < case_id < 2**63:
            raise ValueError(number)
        return date.fromisoformat(day), case_id
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiProblem(
            400, _("游标无效"), slug="validation", fields={"cursor": _("游标无效")}
        ) from exc


def _office_id(code: str) -> int:
    token = current_token()
    if token.scope == "citizen":
        raise ApiProblem(403, _("申请人令牌不能查看部门队列"))
    office = api_reads.office_by_code(code)
    if office is None:
        raise ApiProblem(404, _("部门不存在"))
    if token.scope == "office" and office.id != token.office_id:
        raise ApiProblem(404, _("部门不存在"))
    if token.scope == "supervisor":
        region = token.user.scope_region_code if token.user else None
        if not in_scope(region, office.region_code):
            raise ApiProblem(404, _("部门不存在"))
    return office.id


@bp.get("/offices/<code>/queue")
@spec.validate(query=QueueQuery, resp=Response(HTTP_200=QueuePage), tags=["offices"])
def office_queue(code: str) -> Any:
    """The office's queue with the workbench's filters (`status`, `service`, `due`,
    `assigned`, `from`, `to`, `q`), in its order, `limit` at a time after `cursor`.
    `assigned=me` needs an office token with `Tongban-Operator`."""
    query: QueueQuery = request.context.query  # type: ignore[attr-defined]
    office_id = _office_id(code[:32])
    token = current_token()
    clerk = operator(token, required=False)
    service_id = None
    if query.service:
        service_id = api_reads.service_id_by_code(query.service)
        if service_id is None:
            raise ApiProblem(
                400, _("没有这个事项"), slug="validation", fields={"service": _("没有这个事项")}
            )
    filters = QueueFilters(
        status=query.status,
        service_id=service_id,
        due=query.due,
        assigned=query.assigned,
        submitted_from=query.submitted_from,
        submitted_to=query.submitted_to,
        q=query.q,
    )
    today = local_date(wallclock.now())
    calendar = get_calendar()
    days = present.at_risk_days()
    until = workqueue.risk_until(today, days, calendar)
    page = api_reads.office_queue_after(
        office_id,
        filters,
        user_id=clerk.id if clerk else None,
        today=today,
        risk_until=until,
        after=decode_cursor(query.cursor) if query.cursor else None,
        limit=query.limit,
    )
    rows = [
        present.queue_row(c, workqueue.office_clock(c, today, until, calendar, days))
        for c in page.rows
    ]
    last = page.rows[-1] if page.rows else None
    return {
        "cases": rows,
        "next_cursor": encode_cursor(last.act_by or date.max, last.id)
        if last is not None and page.more
        else None,
    }
