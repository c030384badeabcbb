"""What a figure is computed over (a :class:`Selection`), and which rollup grain answers it.

Every figure over a date range comes from the daily rollups, summed in SQL with one
``GROUP BY`` per table (PERFORMANCE.md). A selection that is one area (the scope's region, a
region below it, an office) and one subset (every service, a department, a service) reads the
area grain, whose rows per day do not grow with the number of cases; any other selection reads
the fine grain (day × office × service).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from ...domain import throughput as tp
from ...extensions import db
from ...models import AreaRollup, CaseEvent, DailyRollup
from ..calendar import SHANGHAI
from ..rollup import EVERYTHING, department_subset, office_area, service_subset
from ._sql import as_date


@dataclass(frozen=True)
class Selection:
    """Offices (None: all, no filter), services (None: all), and a range of Beijing days.

    ``area`` and ``subset``, when set, name the same offices and services as one row key of
    the area grain (``tracker/models/rollup.py``), which the sums then read instead."""

    office_ids: tuple[int, ...] | None
    service_ids: tuple[int, ...] | None
    start: date
    end: date
    area: str | None = None
    subset: str = EVERYTHING

    @classmethod
    def of(
        cls,
        office_ids: Iterable[int] | None,
        service_ids: Iterable[int] | None,
        start: date,
        end: date,
        *,
        area: str | None = None,
        subset: str = EVERYTHING,
    ) -> Selection:
        return cls(
            None if office_ids is None else tuple(office_ids),
            None if service_ids is None else tuple(service_ids),
            start,
            end,
            area,
            subset,
        )

    @property
    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[start 00:00, end+1 00:00) in Beijing time, as UTC moments."""
        return (
            datetime.combine(self.start, time(0), SHANGHAI).astimezone(UTC),
            datetime.combine(self.end + timedelta(days=1), time(0), SHANGHAI).astimezone(UTC),
        )


def area_key(
    *,
    region: str | None = None,
    office_id: int | None = None,
    department: str | None = None,
    service_id: int | None = None,
) -> tuple[str | None, str]:
    """The area grain's (area, subset) for the offices of ``region`` (None: everywhere) or
    one office, of one department or all, for one service or all; area None when no single
    row key says it (one office and one service; one department's offices and one service,
    as a service may be received by another department): the fine grain answers those."""
    if office_id is not None:
        return (office_area(office_id), EVERYTHING) if service_id is None else (None, EVERYTHING)
    area = region or EVERYTHING
    if service_id is not None:
        return (None, EVERYTHING) if department is not None else (area, service_subset(service_id))
    if department is not None:
        return area, department_subset(department)
    return area, EVERYTHING


def rollup_version() -> str:
    """The rollups' last change, as a cache key part: the app counts into the rollups only
    beside a new case event, in its transaction (``case_store``), so the newest event id
    moves with every count. SQLite commits one writer at a time, so that id only grows in
    commit order. PostgreSQL hands out ids before commit, and a transaction holding a lower id
    can commit after a higher one: there the snapshot (running and next transaction ids) is
    added, which changes whenever any transaction starts or ends. One index lookup."""
    newest = db.session.scalar(sa.select(sa.func.max(CaseEvent.id)))
    if db.session.get_bind().dialect.name == "postgresql":
        snapshot = db.session.scalar(sa.text("SELECT pg_current_snapshot()::text"))
        return f"{newest}@{snapshot}"
    return str(newest)


def completed(c: Mapping[str, int]) -> int:
    return sum(c.get(m, 0) for m in tp.COMPLETIONS)


def _rollup(sel: Selection, *group: Any, metrics: Collection[str] | None = None) -> sa.Select[Any]:
    stmt = sa.select(*group, DailyRollup.metric, sa.func.sum(DailyRollup.count)).where(
        DailyRollup.day.between(sel.start, sel.end)
    )
    if sel.office_ids is not None:
        stmt = stmt.where(DailyRollup.office_id.in_(sel.office_ids))
    if sel.service_ids is not None:
        stmt = stmt.where(DailyRollup.service_id.in_(sel.service_ids))
    if metrics is not None:
        stmt = stmt.where(DailyRollup.metric.in_(sorted(metrics)))
    return stmt.group_by(*group, DailyRollup.metric)


# The counters a throughput row shows (no histograms): the grouped queries stay small.
ROW_METRICS = (
    tp.RECEIVED,
    tp.ACCEPTED,
    tp.NOT_ACCEPTED,
    tp.APPROVED,
    tp.APPROVED_TOLERATED,
    tp.REFUSED,
    tp.WITHDRAWN,
    tp.CANCELLED,
    tp.ON_TIME,
    tp.LATE,
    tp.SUPPLEMENT_REQUESTS,
    tp.PAUSED_DAYS,
    tp.WD_SUM,
)
DAY_METRICS = (
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


def _area(
    sel: Selection,
    *group: Any,
    areas: Collection[str],
    subsets: Collection[str],
    metrics: Collection[str],
) -> sa.Select[Any]:
    """Sums over the area grain: every condition is on the primary key (area, subset, metric,
    day), so each (area, subset, metric) is one contiguous run of the range's days."""
    a = AreaRollup
    return (
        sa.select(*group, a.metric, sa.func.sum(a.count))
        .where(
            a.area.in_(sorted(areas)),
            a.subset.in_(sorted(subsets)),
            a.metric.in_(sorted(metrics)),
            a.day.between(sel.start, sel.end),
        )
        .group_by(*group, a.metric)
    )


def _counters(rows: Iterable[Any]) -> dict[Any, Counter[str]]:
    out: dict[Any, Counter[str]] = defaultdict(Counter)
    for key, metric, n in rows:
        out[key][metric] += int(n or 0)
    return dict(out)


def totals(sel: Selection) -> Counter[str]:
    """Every counter over the selection (histograms and ratings included)."""
    stmt = (
        _area(sel, areas=[sel.area], subsets=[sel.subset], metrics=tp.ALL_METRICS)
        if sel.area is not None
        else _rollup(sel)
    )
    out: Counter[str] = Counter()
    for metric, n in db.session.execute(stmt):
        out[metric] = int(n or 0)
    return out


def by_day(sel: Selection) -> dict[date, Counter[str]]:
    if sel.area is not None:
        stmt = _area(
            sel, AreaRollup.day, areas=[sel.area], subsets=[sel.subset], metrics=DAY_METRICS
        )
    else:
        stmt = _rollup(sel, DailyRollup.day, metrics=DAY_METRICS)
    return {as_date(d): c for d, c in _counters(db.session.execute(stmt)).items()}


def by_office(
    sel: Selection, office_ids: Collection[int], *, metrics: Collection[str] = ROW_METRICS
) -> dict[int, Counter[str]]:
    """Counters per office of ``office_ids`` (a subset of the selection's offices); the area
    grain when the selection is every service (one row key per office)."""
    if sel.service_ids is None:
        areas = {office_area(i): i for i in office_ids}
        rows = db.session.execute(
            _area(sel, AreaRollup.area, areas=areas, subsets=[EVERYTHING], metrics=metrics)
        )
        return {areas[k]: c for k, c in _counters(rows).items()}
    narrowed = Selection.of(office_ids, sel.service_ids, sel.start, sel.end)
    return _counters(db.session.execute(_rollup(narrowed, DailyRollup.office_id, metrics=metrics)))


def by_region(sel: Selection, codes: Collection[str]) -> dict[str, Counter[str]]:
    """Counters per region (each with everything below it), in the selection's subset; only
    for a selection with an area key."""
    if sel.area is None:
        raise ValueError("by_region needs a selection of the area grain")
    return _counters(
        db.session.execute(
            _area(sel, AreaRollup.area, areas=codes, subsets=[sel.subset], metrics=ROW_METRICS)
        )
    )


def by_service(sel: Selection, service_ids: Collection[int]) -> dict[int, Counter[str]]:
    """Every counter per service of ``service_ids``, histograms included (for the median),
    ratings too; the area grain when the selection is a region (or everything) and every
    service or one."""
    region_area = sel.area is not None and not sel.area.startswith("o:")
    if region_area and (sel.subset == EVERYTHING or sel.subset.startswith("s:")):
        wanted = (
            {service_subset(i): i for i in service_ids}
            if sel.subset == EVERYTHING
            else {sel.subset: int(sel.subset[2:])}
        )
        rows = db.session.execute(
            _area(
                sel,
                AreaRollup.subset,
                areas=[sel.area or ""],
                subsets=wanted,
                metrics=tp.ALL_METRICS,
            )
        )
        return {wanted[k]: c for k, c in _counters(rows).items() if wanted[k] in service_ids}
    return _counters(db.session.execute(_rollup(sel, DailyRollup.service_id)))


def merge(counters: Iterable[Mapping[str, int]]) -> Counter[str]:
    out: Counter[str] = Counter()
    for c in counters:
        out.update(c)
    return out
