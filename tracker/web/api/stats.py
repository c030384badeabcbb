"""Daily throughput, as the supervisor's dashboard counts it from the rollups: a supervisor
token for its region (or a region, department or service inside it), an office token for its
own office; a citizen token 403."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _
from spectree import Response

from ...domain import throughput as tp
from ...services import api_reads
from . import bp, current_token
from .models import DailyStats, StatsQuery
from .problems import ApiProblem
from .spec import spec

MAX_DAYS = 366
METRICS = (
    tp.RECEIVED,
    tp.ACCEPTED,
    tp.NOT_ACCEPTED,
    tp.APPROVED,
    tp.APPROVED_TOLERATED,
    tp.REFUSED,
    tp.WITHDRAWN,
    tp.CANCELLED,
    tp.LATE,
)


def _bad(field: str, message: str) -> ApiProblem:
    return ApiProblem(400, message, slug="validation", fields={field: message})


@bp.get("/stats/daily")
@spec.validate(query=StatsQuery, resp=Response(HTTP_200=DailyStats), tags=["figures"])
def daily() -> Any:
    """Cases received, accepted, decided… per day over `from`–`to` (at most 366 days)."""
    token = current_token()
    if token.scope == "citizen":
        raise ApiProblem(403, _("申请人令牌不能查看统计"))
    query: StatsQuery = request.context.query  # type: ignore[attr-defined]
    if query.end < query.start:
        raise _bad("to", _("结束日期不能早于开始日期"))
    if (query.end - query.start).days >= MAX_DAYS:
        raise _bad("to", _("日期范围不能超过 %(n)s 天", n=MAX_DAYS))
    service_id = None
    if query.service:
        service_id = api_reads.service_id_by_code(query.service)
        if service_id is None:
            raise _bad("service", _("没有这个事项"))
    if token.scope == "office" and (query.region or query.department):
        raise _bad("region", _("办事处令牌只能查看本部门"))
    days = api_reads.daily_throughput(
        token,
        query.start,
        query.end,
        region=query.region,
        department=query.department,
        service_id=service_id,
    )
    if days is None:
        raise ApiProblem(404, _("该地区不在督办范围内"))
    return {
        "start": query.start.isoformat(),
        "end": query.end.isoformat(),
        "days": [
            {"day": d.day.isoformat(), **{m: int(d.counts.get(m, 0)) for m in METRICS}}
            for d in days
        ],
    }
