"""What a supervisor reads: throughput, the legal clock, ratings, workload. Read-only.

Performance by design (PERFORMANCE.md): every figure over a date range comes from the daily
rollups, summed in SQL with one ``GROUP BY`` per table. A selection that is one area (the
scope's region, a region below it, an office) and one subset (every service, a department, a
service) reads the area grain, whose rows per day do not grow with the number of cases; any
other selection reads the fine grain (day × office × service). Figures about *now* (overdue,
at risk, backlog by age) come from the open-case histogram, a row per office, day and
service kept by triggers on the cases; open work per clerk and the lists of cases come from
the cases through the queue indexes. Each table is one grouped query. Nothing here loops over cases in Python, and no page issues a query per
row.

Scope (SECURITY.md): a supervisor watches a region (a province, a prefecture, a district, or
all). The scope is resolved once per request to the list of its offices, and every query is
filtered by ``office_id IN (…)``: receipts by the receiving office, decisions by the competent
office, current work by the office holding the case. Nothing here returns an applicant's
name, ID number or phone; free text written by people (reasons, rating comments) goes through
:func:`redact` before it leaves this module.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from ..domain import throughput as tp
from ..domain.errors import UnknownCalendarYear
from ..domain.regions import in_scope
from ..domain.states import COMPLETED_STATES, CaseStatus, Role
from ..domain.workflow import Action
from ..extensions import db
from ..models import (
    AreaRollup,
    Case,
    CaseEvent,
    DailyRollup,
    Department,
    Office,
    OpenCaseDay,
    Rating,
    Rectification,
    Region,
    Service,
    User,
)
from ..models.case import OPEN_SQL
from ..models.rating import STAGES
from . import queries
from .calendar import SHANGHAI, get_calendar
from .rollup import EVERYTHING, department_subset, office_area, service_subset

# ---- the catalogue a page needs, loaded once per request ---------------------------------


@dataclass(frozen=True)
class OfficeRef:
    id: int
    code: str
    name_zh: str
    name_en: str
    region_code: str
    department_code: str


@dataclass(frozen=True)
class RegionRef:
    code: str
    parent_code: str | None
    level: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class ServiceRef:
    id: int
    code: str
    name_zh: str
    name_en: str
    department_code: str


@dataclass(frozen=True)
class DepartmentRef:
    code: str
    name_zh: str
    name_en: str


@dataclass
class Scope:
    """The region a supervisor watches, and the catalogue around it (offices are few)."""

    region_code: str | None
    regions: dict[str, RegionRef]
    all_offices: dict[int, OfficeRef]
    services: dict[int, ServiceRef]
    departments: dict[str, DepartmentRef]
    offices: dict[int, OfficeRef] = field(init=False)

    def __post_init__(self) -> None:
        self.offices = {i: o for i, o in self.all_offices.items()
                        if in_scope(self.region_code, o.region_code)}

    @property
    def region(self) -> RegionRef | None:
        return self.regions.get(self.region_code) if self.region_code else None

    def covers_region(self, code: str) -> bool:
        """A region inside the scope (the scope itself included)."""
        return code in self.regions and self.region_code in (None, *self.lineage(code))

    def lineage(self, code: str) -> list[str]:
        """``code`` and its ancestors, nearest first (by the regions table)."""
        chain: list[str] = []
        while code and code in self.regions and code not in chain:
            chain.append(code)
            code = self.regions[code].parent_code or ""
        return chain

    def office_ids(self, *, department: str | None = None,
                   region: str | None = None) -> list[int]:
        """Offices in scope, optionally of one department and inside one region."""
        return sorted(o.id for o in self.offices.values()
                      if (department is None or o.department_code == department)
                      and (region is None or region in self.lineage(o.region_code)))

    def child_region(self, under: str | None, office: OfficeRef) -> str | None:
        """The region directly below ``under`` (None: the top) that holds ``office``; None
        when the office sits in ``under`` itself."""
        chain = self.lineage(office.region_code)
        if under is None:
            return chain[-1] if chain else None
        if under not in chain:
            return None
        i = chain.index(under)
        return chain[i - 1] if i > 0 else None

    def service_ids(self, *, department: str | None = None,
                    service_id: int | None = None) -> list[int] | None:
        """None: every service (no filter)."""
        if service_id is not None:
            return [service_id]
        if department is not None:
            return sorted(s.id for s in self.services.values()
                          if s.department_code == department)
        return None


def load_scope(region_code: str | None) -> Scope:
    """Four small queries: regions, offices, services, departments (plain rows, no ORM
    objects: building 413 offices as entities cost more than the whole dashboard's SQL)."""
    regions = {r[0]: RegionRef(*r) for r in db.session.execute(
        sa.select(Region.code, Region.parent_code, Region.level, Region.name_zh,
                  Region.name_en))}
    offices = {o[0]: OfficeRef(*o) for o in db.session.execute(
        sa.select(Office.id, Office.code, Office.name_zh, Office.name_en, Office.region_code,
                  Office.department_code).order_by(Office.code))}
    services = {s[0]: ServiceRef(*s) for s in db.session.execute(
        sa.select(Service.id, Service.code, Service.name_zh, Service.name_en,
                  Service.department_code).order_by(Service.code))}
    departments = {d[0]: DepartmentRef(*d) for d in db.session.execute(
        sa.select(Department.code, Department.name_zh, Department.name_en)
        .order_by(Department.code))}
    return Scope(region_code, regions, offices, services, departments)


# ---- what a figure is computed over ------------------------------------------------------


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
    def of(cls, office_ids: Iterable[int] | None, service_ids: Iterable[int] | None,
           start: date, end: date, *, area: str | None = None,
           subset: str = EVERYTHING) -> Selection:
        return cls(None if office_ids is None else tuple(office_ids),
                   None if service_ids is None else tuple(service_ids), start, end,
                   area, subset)

    @property
    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[start 00:00, end+1 00:00) in Beijing time, as UTC moments."""
        return (datetime.combine(self.start, time(0), SHANGHAI).astimezone(UTC),
                datetime.combine(self.end + timedelta(days=1), time(0), SHANGHAI).astimezone(UTC))


def area_key(*, region: str | None = None, office_id: int | None = None,
             department: str | None = None, service_id: int | None = None
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


def completed(c: Mapping[str, int]) -> int:
    return sum(c.get(m, 0) for m in tp.COMPLETIONS)


def _rollup(sel: Selection, *group: Any, metrics: Collection[str] | None = None
            ) -> sa.Select[Any]:
    stmt = (sa.select(*group, DailyRollup.metric, sa.func.sum(DailyRollup.count))
            .where(DailyRollup.day.between(sel.start, sel.end)))
    if sel.office_ids is not None:
        stmt = stmt.where(DailyRollup.office_id.in_(sel.office_ids))
    if sel.service_ids is not None:
        stmt = stmt.where(DailyRollup.service_id.in_(sel.service_ids))
    if metrics is not None:
        stmt = stmt.where(DailyRollup.metric.in_(sorted(metrics)))
    return stmt.group_by(*group, DailyRollup.metric)


# The counters a throughput row shows (no histograms): the grouped queries stay small.
ROW_METRICS = (tp.RECEIVED, tp.ACCEPTED, tp.NOT_ACCEPTED, tp.APPROVED, tp.APPROVED_TOLERATED,
               tp.REFUSED, tp.WITHDRAWN, tp.CANCELLED, tp.ON_TIME, tp.LATE,
               tp.SUPPLEMENT_REQUESTS, tp.PAUSED_DAYS, tp.WD_SUM)
DAY_METRICS = (tp.RECEIVED, tp.ACCEPTED, tp.NOT_ACCEPTED, tp.APPROVED, tp.APPROVED_TOLERATED,
               tp.REFUSED, tp.WITHDRAWN, tp.CANCELLED, tp.LATE)


def _area(sel: Selection, *group: Any, areas: Collection[str], subsets: Collection[str],
          metrics: Collection[str]) -> sa.Select[Any]:
    """Sums over the area grain: every condition is on the primary key (area, subset, metric,
    day), so each (area, subset, metric) is one contiguous run of the range's days."""
    a = AreaRollup
    return (sa.select(*group, a.metric, sa.func.sum(a.count))
            .where(a.area.in_(sorted(areas)), a.subset.in_(sorted(subsets)),
                   a.metric.in_(sorted(metrics)), a.day.between(sel.start, sel.end))
            .group_by(*group, a.metric))


def _counters(rows: Iterable[Any]) -> dict[Any, Counter[str]]:
    out: dict[Any, Counter[str]] = defaultdict(Counter)
    for key, metric, n in rows:
        out[key][metric] += int(n or 0)
    return dict(out)


def totals(sel: Selection) -> Counter[str]:
    """Every counter over the selection (histograms and ratings included)."""
    stmt = (_area(sel, areas=[sel.area], subsets=[sel.subset], metrics=tp.ALL_METRICS)
            if sel.area is not None else _rollup(sel))
    out: Counter[str] = Counter()
    for metric, n in db.session.execute(stmt):
        out[metric] = int(n or 0)
    return out


def by_day(sel: Selection) -> dict[date, Counter[str]]:
    if sel.area is not None:
        stmt = _area(sel, AreaRollup.day, areas=[sel.area], subsets=[sel.subset],
                     metrics=DAY_METRICS)
    else:
        stmt = _rollup(sel, DailyRollup.day, metrics=DAY_METRICS)
    return {_as_date(d): c for d, c in _counters(db.session.execute(stmt)).items()}


def by_office(sel: Selection, office_ids: Collection[int], *,
              metrics: Collection[str] = ROW_METRICS) -> dict[int, Counter[str]]:
    """Counters per office of ``office_ids`` (a subset of the selection's offices); the area
    grain when the selection is every service (one row key per office)."""
    if sel.service_ids is None:
        areas = {office_area(i): i for i in office_ids}
        rows = db.session.execute(_area(sel, AreaRollup.area, areas=areas,
                                        subsets=[EVERYTHING], metrics=metrics))
        return {areas[k]: c for k, c in _counters(rows).items()}
    narrowed = Selection.of(office_ids, sel.service_ids, sel.start, sel.end)
    return _counters(db.session.execute(_rollup(narrowed, DailyRollup.office_id,
                                                metrics=metrics)))


def by_region(sel: Selection, codes: Collection[str]) -> dict[str, Counter[str]]:
    """Counters per region (each with everything below it), in the selection's subset; only
    for a selection with an area key."""
    if sel.area is None:
        raise ValueError("by_region needs a selection of the area grain")
    return _counters(db.session.execute(_area(sel, AreaRollup.area, areas=codes,
                                              subsets=[sel.subset], metrics=ROW_METRICS)))


def by_service(sel: Selection, service_ids: Collection[int]) -> dict[int, Counter[str]]:
    """Every counter per service of ``service_ids``, histograms included (for the median),
    ratings too; the area grain when the selection is a region (or everything) and every
    service or one."""
    region_area = sel.area is not None and not sel.area.startswith("o:")
    if region_area and (sel.subset == EVERYTHING or sel.subset.startswith("s:")):
        wanted = ({service_subset(i): i for i in service_ids} if sel.subset == EVERYTHING
                  else {sel.subset: int(sel.subset[2:])})
        rows = db.session.execute(_area(sel, AreaRollup.subset, areas=[sel.area or ""],
                                        subsets=wanted, metrics=tp.ALL_METRICS))
        return {wanted[k]: c for k, c in _counters(rows).items() if wanted[k] in service_ids}
    return _counters(db.session.execute(_rollup(sel, DailyRollup.service_id)))


def merge(counters: Iterable[Mapping[str, int]]) -> Counter[str]:
    out: Counter[str] = Counter()
    for c in counters:
        out.update(c)
    return out


# ---- the state of things now (cases, through the queue indexes) ---------------------------


def _open() -> sa.TextClause:
    # Spelled exactly like the partial index's predicate so that the planner can use it.
    return sa.text(f"cases.status IN ({OPEN_SQL})")


def risk_until(today: date, at_risk_days: int) -> date:
    return queries.risk_until(today, at_risk_days)


Current = queries.DueCounts  # overdue and at risk now (on_time is not read here)


def current(office_ids: Collection[int], service_ids: Collection[int] | None, today: date,
            until: date) -> dict[tuple[int, int], Current]:
    """Open cases overdue (``act_by < today``) and at risk (``today <= act_by <= until``),
    per (holding office, service): the queue's own rule, one query over the open-case
    histogram (a row per office, day and service, whatever the number of cases behind it)."""
    return queries.due_counts(office_ids, today, until, service_ids=service_ids)


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
        try:
            working = cal.is_working_day(d)
        except UnknownCalendarYear:
            working = d.weekday() < 5  # a year without a table: weekdays, the usual case
        if working:
            seen += 1
            if seen == n:
                return d
        d -= timedelta(days=1)


def backlog_boundaries(today: date) -> list[date]:
    """The earliest receipt day of each bucket but the last: computed once per request, then
    the cases are counted with range conditions (no calendar per case)."""
    return [nth_working_day_back(today, hi + 1) for _, hi in BACKLOG_BUCKETS if hi is not None]


def backlog(office_ids: Collection[int], service_ids: Collection[int] | None,
            today: date) -> dict[int, list[int]]:
    """Open cases per holding office by age in working days since receipt, one count per
    bucket of ``BACKLOG_BUCKETS``."""
    b5, b10, b20 = backlog_boundaries(today)
    d = OpenCaseDay
    r = d.day

    def count(cond: sa.ColumnElement[bool]) -> Any:
        return sa.func.sum(sa.case((cond, d.count), else_=0))

    stmt = (sa.select(d.office_id, count(r >= b5), count(sa.and_(r >= b10, r < b5)),
                      count(sa.and_(r >= b20, r < b10)), count(r < b20))
            .where(d.office_id.in_(sorted(office_ids)), d.kind == "received_on")
            .group_by(d.office_id))
    if service_ids is not None:
        stmt = stmt.where(d.service_id.in_(sorted(service_ids)))
    return {row[0]: [int(v or 0) for v in row[1:]] for row in db.session.execute(stmt)}


# ---- lists of cases (bounded; tracking numbers, never applicants) --------------------------

_NUMBERS = (re.compile(r"(?<![0-9])1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}(?![0-9])"),  # mobiles
            re.compile(r"(?<![0-9])[0-9]{7,}[0-9Xx]?(?![0-9])"))  # IDs, accounts, landlines


def redact(text: str | None, names: Iterable[str] = ()) -> str:
    """Free text as a supervisor may see it: runs of 7+ digits (phones, ID numbers, bank
    accounts) and the given names masked."""
    if not text:
        return ""
    out = text
    for pattern in _NUMBERS:
        out = pattern.sub(lambda m: "*" * len(m.group()), out)
    for name in names:
        if name and len(name) >= 2:
            out = out.replace(name, name[0] + "*" * (len(name) - 1))
    return out


# Moves whose reasons explain time spent: supplements, special procedures, extensions…
TRAIL_ACTIONS = (Action.REQUEST_SUPPLEMENT, Action.SUBMIT_SUPPLEMENT, Action.START_SPECIAL,
                 Action.END_SPECIAL, Action.REQUEST_EXTENSION, Action.APPROVE_EXTENSION,
                 Action.REFUSE_EXTENSION, Action.DEEM_ACCEPTED, Action.FORWARD,
                 Action.SUBTASK_NEGOTIATE, Action.SUBTASK_RESUME, Action.APPROVE_TOLERATED,
                 Action.REFUSE, Action.REJECT)


@dataclass(frozen=True)
class TrailEntry:
    at: datetime
    action: str
    office_id: int | None
    reason: str


@dataclass(frozen=True)
class CaseLine:
    id: int
    tracking_number: str
    service_id: int
    office_id: int
    status: CaseStatus
    received_on: date
    act_by: date | None
    due_on: date | None
    completed_at: datetime | None
    days: int | None  # calendar days overdue (open) or late (completed)
    trail: tuple[TrailEntry, ...] = ()


def _trails(case_ids: Collection[int], names: Mapping[int, str]) -> dict[int, list[TrailEntry]]:
    """The reason trail of each listed case, in one query."""
    if not case_ids:
        return {}
    out: dict[int, list[TrailEntry]] = defaultdict(list)
    stmt = (sa.select(CaseEvent.case_id, CaseEvent.at, CaseEvent.action, CaseEvent.office_id,
                      CaseEvent.reason)
            .where(CaseEvent.case_id.in_(list(case_ids)),
                   sa.or_(CaseEvent.reason.is_not(None),
                          CaseEvent.action.in_([a.value for a in TRAIL_ACTIONS])))
            .order_by(CaseEvent.case_id, CaseEvent.id))
    for case_id, at, action, office_id, reason in db.session.execute(stmt):
        out[case_id].append(TrailEntry(at, action, office_id,
                                       redact(reason, [names.get(case_id, "")])))
    return out


_CASE_COLUMNS = (Case.id, Case.tracking_number, Case.service_id, Case.custody_office_id,
                 Case.competent_office_id, Case.status, Case.received_on, Case.act_by,
                 Case.due_on, Case.completed_at, User.real_name)


def overdue_cases(office_id: int, service_ids: Collection[int] | None, today: date,
                  limit: int = 100) -> list[CaseLine]:
    """The office's open cases past the day it had to act, longest overdue first; two
    queries (cases, then their reason trails). The applicant's name is read only to mask it
    in the trail's free text."""
    stmt = (sa.select(*_CASE_COLUMNS).join(User, User.id == Case.applicant_id)
            .where(_open(), Case.custody_office_id == office_id, Case.act_by < today)
            .order_by(Case.act_by, Case.id).limit(limit))
    if service_ids is not None:
        stmt = stmt.where(Case.service_id.in_(list(service_ids)))
    rows = db.session.execute(stmt).all()
    trails = _trails([r.id for r in rows], {r.id: r.real_name for r in rows})
    return [CaseLine(r.id, r.tracking_number, r.service_id, r.custody_office_id, r.status,
                     r.received_on, r.act_by, r.due_on, r.completed_at,
                     (today - r.act_by).days, tuple(trails.get(r.id, ())))
            for r in rows]


def local_day_sql(column: Any) -> Any:
    """The Beijing calendar day of a stored UTC moment, in SQL (China has no daylight time)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.date(sa.func.timezone("Asia/Shanghai", column))
    # Whole seconds only: SQLite rounds fractions to milliseconds, which could cross midnight.
    return sa.func.date(sa.func.substr(column, 1, 19), "+8 hours")


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def late_completions(office_id: int, service_ids: Collection[int] | None, sel: Selection,
                     limit: int = 100) -> list[CaseLine]:
    """Cases the office decided in the range after their due date, latest first, with the
    reasons that explain the time (the same rule as the ``late`` counter)."""
    lo, hi = sel.utc_bounds
    stmt = (sa.select(*_CASE_COLUMNS).join(User, User.id == Case.applicant_id)
            .where(Case.competent_office_id == office_id,
                   Case.status.in_(sorted(COMPLETED_STATES)),
                   Case.completed_at >= lo, Case.completed_at < hi,
                   Case.due_on.is_not(None), Case.due_on < local_day_sql(Case.completed_at))
            .order_by(Case.completed_at.desc(), Case.id.desc()).limit(limit))
    if service_ids is not None:
        stmt = stmt.where(Case.service_id.in_(list(service_ids)))
    rows = db.session.execute(stmt).all()
    trails = _trails([r.id for r in rows], {r.id: r.real_name for r in rows})
    from .calendar import local_date

    return [CaseLine(r.id, r.tracking_number, r.service_id, r.competent_office_id, r.status,
                     r.received_on, r.act_by, r.due_on, r.completed_at,
                     (local_date(r.completed_at) - r.due_on).days,
                     tuple(trails.get(r.id, ())))
            for r in rows]


# ---- ratings and rectification ------------------------------------------------------------

RATING_LABELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
FOLLOWED_UP = tuple(s for s in STAGES if s != "verify")


def rating_counts(c: Mapping[str, int]) -> dict[int, int]:
    return {score: c.get(tp.rating_metric(score), 0) for score in (5, 4, 3, 2, 1)}


@dataclass(frozen=True)
class RectificationSummary:
    total: int  # bad ratings (1 or 2) in the range: each opened one item
    followed_up: int  # items moved past verification (or closed)
    by_stage: dict[str, int]
    overdue_open: int  # not closed, past the deadline, whenever opened

    @property
    def rate(self) -> float | None:
        return tp.rectification_rate(self.total, self.followed_up)


def rectification_summary(office_ids: Collection[int], sel: Selection,
                          today: date) -> RectificationSummary:
    """Two queries: the items opened in the range by stage; the open items past deadline."""
    lo, hi = sel.utc_bounds
    ids = list(office_ids)
    by_stage = {s: 0 for s in STAGES}
    for stage, n in db.session.execute(
            sa.select(Rectification.stage, sa.func.count(Rectification.id))
            .where(Rectification.office_id.in_(ids), Rectification.created_at >= lo,
                   Rectification.created_at < hi)
            .group_by(Rectification.stage)):
        by_stage[stage] = int(n)
    overdue = db.session.scalar(
        sa.select(sa.func.count(Rectification.id))
        .where(Rectification.office_id.in_(ids),
               Rectification.stage.in_([s for s in STAGES if s != "closed"]),
               Rectification.due_on < today)) or 0
    return RectificationSummary(total=sum(by_stage.values()),
                                followed_up=sum(by_stage[s] for s in FOLLOWED_UP),
                                by_stage=by_stage, overdue_open=int(overdue))


@dataclass(frozen=True)
class RectificationLine:
    id: int
    tracking_number: str
    office_id: int
    service_id: int
    score: int
    comment: str
    stage: str
    due_on: date | None
    created_at: datetime
    closed_at: datetime | None
    overdue: bool
    history: tuple[dict[str, Any], ...]


def _rect_stmt() -> sa.Select[Any]:
    return (sa.select(Rectification, Case.tracking_number, Case.service_id, Rating.score,
                      Rating.comment, User.real_name)
            .join(Case, Case.id == Rectification.case_id)
            .join(Rating, Rating.id == Rectification.rating_id)
            .join(User, User.id == Case.applicant_id))


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _rect_line(row: Any, today: date) -> RectificationLine:
    item: Rectification = row[0]
    name = row.real_name
    history = tuple({**h, "note": redact(h.get("note"), [name]), "at": _moment(h.get("at"))}
                    for h in (item.history or []))
    return RectificationLine(
        id=item.id, tracking_number=row.tracking_number, office_id=item.office_id,
        service_id=row.service_id, score=row.score, comment=redact(row.comment, [name]),
        stage=item.stage, due_on=item.due_on, created_at=item.created_at,
        closed_at=item.closed_at,
        overdue=item.stage != "closed" and item.due_on is not None and item.due_on < today,
        history=history)


def rectifications(office_ids: Collection[int], sel: Selection, today: date, *,
                   show: str = "open", limit: int = 200) -> list[RectificationLine]:
    """``show``: "open" (every unfinished item, by deadline), "overdue" (unfinished and past
    deadline), "all" (everything opened in the range, newest first)."""
    r = Rectification
    pick = sa.select(r.id).where(r.office_id.in_(sorted(office_ids)))
    if show == "all":
        lo, hi = sel.utc_bounds
        pick = pick.where(r.created_at >= lo, r.created_at < hi)
        order: tuple[Any, ...] = (r.created_at.desc(), r.id.desc())
    else:
        pick = pick.where(r.stage != "closed")
        if show == "overdue":
            pick = pick.where(r.due_on < today)
        order = (r.due_on.is_(None), r.due_on, r.id)
    # The page's items first, from the rectifications' indexes alone; then their cases,
    # ratings and applicants (joined for every open item before the limit, this took 90 ms
    # at 1M cases).
    chosen = pick.order_by(*order).limit(limit).subquery()
    stmt = _rect_stmt().join(chosen, chosen.c.id == r.id).order_by(*order)
    return [_rect_line(row, today) for row in db.session.execute(stmt)]


def rectification(item_id: int, today: date) -> RectificationLine | None:
    row = db.session.execute(_rect_stmt().where(Rectification.id == item_id)).first()
    return None if row is None else _rect_line(row, today)


# ---- extensions awaiting a supervisor ------------------------------------------------------


@dataclass(frozen=True)
class ExtensionRequest:
    case_id: int
    tracking_number: str
    version: int
    service_id: int
    office_id: int
    status: CaseStatus
    days: int
    due_on: date | None
    reason: str
    requested_at: datetime | None


def pending_extensions(office_ids: Collection[int], limit: int = 200) -> list[ExtensionRequest]:
    """Open cases held by offices in scope with an extension request; two queries.

    The requests are picked through their partial index first: asked together with the
    open-status term, SQLite preferred the queue index (its statistics know nothing of an
    empty partial index) and read every open case in scope (135 ms at 1M cases)."""
    pending = (sa.select(Case.id)
               .where(Case.custody_office_id.in_(sorted(office_ids)),
                      Case.extension_requested_days.is_not(None))).subquery()
    rows = db.session.execute(
        sa.select(Case.id, Case.tracking_number, Case.version, Case.service_id,
                  Case.custody_office_id, Case.status, Case.extension_requested_days,
                  Case.due_on, User.real_name)
        .join(User, User.id == Case.applicant_id)
        .where(Case.id.in_(sa.select(pending.c.id)), _open())
        .order_by(Case.due_on, Case.id).limit(limit)).all()
    latest: dict[int, tuple[datetime, str | None]] = {}
    if rows:
        for case_id, at, reason in db.session.execute(
                sa.select(CaseEvent.case_id, CaseEvent.at, CaseEvent.reason)
                .where(CaseEvent.case_id.in_([r.id for r in rows]),
                       CaseEvent.action == Action.REQUEST_EXTENSION.value)
                .order_by(CaseEvent.id)):
            latest[case_id] = (at, reason)  # the latest request wins
    return [ExtensionRequest(r.id, r.tracking_number, r.version, r.service_id,
                             r.custody_office_id, r.status, int(r.extension_requested_days),
                             r.due_on, redact(latest.get(r.id, (None, ""))[1], [r.real_name]),
                             latest.get(r.id, (None, None))[0])
            for r in rows]


# ---- clerk workload --------------------------------------------------------------------------

DECISIONS = (Action.APPROVE.value, Action.APPROVE_TOLERATED.value, Action.REFUSE.value)


@dataclass(frozen=True)
class ClerkLoad:
    user_id: int
    username: str
    name: str
    office_id: int
    open_cases: int
    completions: dict[date, int]

    @property
    def completed(self) -> int:
        return sum(self.completions.values())


def open_by_assignee(office_ids: Collection[int]) -> dict[tuple[int, int | None], int]:
    """Open cases per (holding office, assignee or None), in one grouped read of the partial
    index on (office, assignee) alone. Grouped by both, SQLite takes that index; asked for
    "assignee IS NULL" it judged the index unselective (most cases wait unassigned) and read
    every open case's row instead (100 ms for a province at 1M cases)."""
    return {(o, a): int(n) for o, a, n in db.session.execute(
        sa.select(Case.custody_office_id, Case.assignee_id, sa.func.count())  # index only
        .where(_open(), Case.custody_office_id.in_(sorted(office_ids)))
        .group_by(Case.custody_office_id, Case.assignee_id))}


def workload(office_ids: Collection[int], sel: Selection,
             open_cases: Mapping[tuple[int, int | None], int]) -> list[ClerkLoad]:
    """Per clerk of the offices: open cases assigned now (``open_cases``, from
    :func:`open_by_assignee`), and decisions per Beijing day in the range. Two queries
    (clerks, decisions per clerk and day)."""
    ids = list(office_ids)
    clerks = db.session.execute(
        sa.select(User.id, User.username, User.real_name, User.office_id)
        .where(User.role == Role.CLERK, User.office_id.in_(ids))
        .order_by(User.office_id, User.username)).all()
    open_by: Counter[int] = Counter()
    for (_, assignee), n in open_cases.items():
        if assignee is not None:
            open_by[assignee] += n
    lo, hi = sel.utc_bounds
    day = local_day_sql(CaseEvent.at)
    done: dict[int, dict[date, int]] = defaultdict(dict)
    for actor_id, d, n in db.session.execute(
            sa.select(CaseEvent.actor_id, day, sa.func.count(CaseEvent.id))
            .where(CaseEvent.at >= lo, CaseEvent.at < hi, CaseEvent.action.in_(DECISIONS),
                   CaseEvent.office_id.in_(ids), CaseEvent.actor_id.is_not(None))
            .group_by(CaseEvent.actor_id, day)):
        done[actor_id][_as_date(d)] = int(n)
    return [ClerkLoad(c.id, c.username or "", c.real_name, c.office_id,
                      open_by[c.id], done.get(c.id, {}))
            for c in clerks]


def unassigned_open(open_cases: Mapping[tuple[int, int | None], int]) -> dict[int, int]:
    """Open cases nobody has claimed, per holding office (from :func:`open_by_assignee`)."""
    return {office_id: n for (office_id, assignee), n in open_cases.items()
            if assignee is None and n}
