"""The state of things now: overdue and at risk (the queue's own rule, from the open-case
histogram) and the backlog by age in working days."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from ...extensions import db
from ...models import OpenCaseDay
from .. import workqueue
from ..calendar import get_calendar, is_working_day_or_estimate


def risk_until(today: date, at_risk_days: int) -> date:
    return workqueue.risk_until(today, at_risk_days)


Current = workqueue.DueCounts  # overdue and at risk now (on_time is not read here)


def current(
    office_ids: Collection[int], service_ids: Collection[int] | None, today: date, until: date
) -> dict[tuple[int, int], Current]:
    """Open cases overdue (``act_by < today``) and at risk (``today <= act_by <= until``),
    per (holding office, service): the queue's own rule, one query over the open-case
    histogram (a row per office, day and service, whatever the number of cases behind it)."""
    return workqueue.due_counts(office_ids, today, until, service_ids=service_ids)


def current_by(rows: Mapping[tuple[int, int], Current], key: str) -> dict[int, Current]:
    """Sum :func:`current` per office (``key="office"``) or per service."""
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for (office_id, service_id), c in rows.items():
        k = office_id if key == "office" else service_id
        out[k][0] += c.overdue
        out[k][1] += c.at_risk
    return {k: Current(*v) for k, v in out.items()}


BACKLOG_BUCKETS: tuple[tuple[int, int | None], ...] = ((0, 5), (6, 10), (11, 20), (21, None))


def nth_working_day_back(today: date, n: int) -> date:
    """The ``n``-th most recent working day on or before ``today`` (n >= 1). A case received
    on or after it has been open for at most ``n - 1`` working days."""
    cal = get_calendar()
    d, seen = today, 0
    while True:
        if is_working_day_or_estimate(d, cal):
            seen += 1
            if seen == n:
                return d
        d -= timedelta(days=1)


def backlog_boundaries(today: date) -> list[date]:
    """The earliest receipt day of each bucket but the last: computed once per request, then
    the cases are counted with range conditions (no calendar per case)."""
    return [nth_working_day_back(today, hi + 1) for _, hi in BACKLOG_BUCKETS if hi is not None]


def backlog(
    office_ids: Collection[int], service_ids: Collection[int] | None, today: date
) -> dict[int, list[int]]:
    """Open cases per holding office by age in working days since receipt, one count per
    bucket of ``BACKLOG_BUCKETS``."""
    b5, b10, b20 = backlog_boundaries(today)
    d = OpenCaseDay
    r = d.day

    def count(cond: sa.ColumnElement[bool]) -> Any:
        return sa.func.sum(sa.case((cond, d.count), else_=0))

    stmt = (
        sa.select(
            d.office_id,
            count(r >= b5),
            count(sa.and_(r >= b10, r < b5)),
            count(sa.and_(r >= b20, r < b10)),
            count(r < b20),
        )
        .where(d.office_id.in_(sorted(office_ids)), d.kind == "received_on")
        .group_by(d.office_id)
    )
    if service_ids is not None:
        stmt = stmt.where(d.service_id.in_(sorted(service_ids)))
    return {row[0]: [int(v or 0) for v in row[1:]] for row in db.session.execute(stmt)}
