"""Keep the daily rollups in step with the event history.

``record`` runs inside the transaction that writes each event (so the counters can never
disagree with the history) and adds to both grains (``tracker/models/rollup.py``);
``rebuild`` recounts the fine grain from the history, idempotently, for a database loaded by
other means or to check the counters, and ``derive_areas`` sums the fine grain into the area
grain in SQL (the bulk generator and the migration that created the table use it too).
The open-case histogram (``OpenCaseDay``) is kept by database triggers; ``rebuild`` recounts
it too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..database import write_transaction
from ..domain.effects import DECISIONS, Timing, completion_facts, event_metrics
from ..domain.states import CaseStatus
from ..domain.workflow import Action
from ..models import (
    AreaRollup,
    Case,
    CaseEvent,
    ClockPause,
    DailyRollup,
    Office,
    OpenCaseDay,
    Region,
)
from ..models.case import OPEN_SQL
from .calendar import get_calendar, local_date
from .case_store import spans_of

Key = tuple[date, int, int, str]
AreaKey = tuple[str, str, str, date]  # area, subset, metric, day
EVERYTHING = "*"


def office_area(office_id: int) -> str:
    return f"o:{office_id}"


def department_subset(code: str) -> str:
    return f"d:{code}"


def service_subset(service_id: int) -> str:
    return f"s:{service_id}"


def _metrics(event: CaseEvent, case: Case, pauses: Iterable[ClockPause]) -> dict[str, int]:
    """The counters an event of the history adds to, by the domain's rules (a decision's
    completion figures from the case's clock as it stands now)."""
    action = Action(event.action)
    completion = None
    if action in DECISIONS:
        timing = Timing(
            received_on=case.received_on,
            promised_days=case.promised_days,
            statutory_days=0,
            clock_start_on=case.clock_start_on,
            due_on=case.due_on,
            due_pending_year=case.due_pending_year,
            pauses=spans_of(list(pauses)),
        )
        completion = completion_facts(timing, local_date(event.at), get_calendar())
    return event_metrics(
        action, event.to_status, completion, score=(event.payload or {}).get("score")
    )


def _office(event: CaseEvent, case: Case) -> int:
    """Receipts count where the case was filed; everything else where it is decided."""
    return case.receiving_office_id if event.action == Action.SUBMIT else case.competent_office_id


def _add(
    session: Session, table: type[DailyRollup] | type[AreaRollup], rows: list[dict[str, object]]
) -> None:
    """Add ``rows`` (column → value, ``count`` included) to the counters, creating the missing."""
    if not rows:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[c.name for c in table.__table__.primary_key.columns],
        set_={"count": table.count + stmt.excluded.count},
    )
    for start in range(0, len(rows), 500):
        session.execute(stmt, rows[start : start + 500])


def _upsert(session: Session, counts: Counter[Key]) -> None:
    _add(
        session,
        DailyRollup,
        [
            {"day": d, "office_id": o, "service_id": s, "metric": m, "count": n}
            for (d, o, s, m), n in counts.items()
        ],
    )


def areas_of(session: Session, office_id: int, service_id: int) -> list[tuple[str, str]]:
    """The (area, subset) pairs an office's event for a service counts in: every region on the
    office's line (and everything) × every service, its department, the service; the office
    itself × every service. Catalogue rows come from the session's identity map when loaded."""
    office = session.get(Office, office_id)
    if office is None:
        return []
    subsets = (EVERYTHING, department_subset(office.department_code), service_subset(service_id))
    areas: list[str] = [EVERYTHING]
    code: str | None = office.region_code
    while code and code not in areas:
        areas.append(code)
        region = session.get(Region, code)
        code = region.parent_code if region is not None else None
    return [(office_area(office_id), EVERYTHING)] + [(a, s) for a in areas for s in subsets]


def record(
    session: Session, event: CaseEvent, case: Case, metrics: Mapping[str, int] | None = None
) -> None:
    """Add one event's counters (called by the case services before they commit);
    ``metrics`` when the caller has them from ``domain.effects`` already.

    The counts are gathered on the session and written by ``_write_pending`` as the
    transaction's last statements, just before it commits (in a fixed order of their keys):
    the hot rows (a province's and everything's figures of the day) are then locked only for
    the commit, not from the event's write on, so concurrent moves and submissions do not queue
    behind each other on PostgreSQL (docs/performance.md). They still commit with the event or
    not at all."""
    if metrics is None:
        pauses = (
            session.scalars(sa.select(ClockPause).where(ClockPause.case_id == case.id)).all()
            if event.action in DECISIONS
            else ()
        )
        metrics = _metrics(event, case, pauses)
    if metrics:
        day, office_id = local_date(event.at), _office(event, case)
        fine, areas = session.info.setdefault(_PENDING, (Counter(), Counter()))
        for m, n in metrics.items():
            fine[(day, office_id, case.service_id, m)] += n
        for area, subset in areas_of(session, office_id, case.service_id):
            for m, n in metrics.items():
                areas[(area, subset, m, day)] += n


_PENDING = "rollup_pending"


@sa.event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    """Write the counters ``record`` gathered in this transaction, sorted by key (every
    transaction takes the rows in the same order: no deadlock between two of them)."""
    pending: tuple[Counter[Key], Counter[AreaKey]] | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    fine, areas = pending
    _upsert(session, Counter(dict(sorted(fine.items()))))
    _add(
        session,
        AreaRollup,
        [
            {"area": area, "subset": subset, "metric": m, "day": day, "count": n}
            for (area, subset, m, day), n in sorted(areas.items())
        ],
    )


@sa.event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, _previous: object) -> None:
    """A rolled-back transaction's counters go with it."""
    session.info.pop(_PENDING, None)


# The area grain as SQL over the fine grain (SQLite and PostgreSQL alike). ``lineage`` pairs
# each office with every region on its line; the four inserts are the office areas, then the
# region areas (and everything) for every service, per department and per service.
_LINEAGE = """WITH RECURSIVE lineage(office_id, code) AS (
    SELECT id, region_code FROM offices
    UNION ALL
    SELECT lineage.office_id, regions.parent_code FROM lineage
    JOIN regions ON regions.code = lineage.code WHERE regions.parent_code IS NOT NULL
), areas(office_id, area) AS (
    SELECT office_id, code FROM lineage UNION ALL SELECT id, '*' FROM offices
)
"""
_INSERT = "INSERT INTO area_rollups (area, subset, metric, day, count) "


def _from_lineage(select: str) -> str:
    return _INSERT + _LINEAGE + select  # noqa: S608  # nosec B608  # this module's constants, no input


DERIVE_AREAS_SQL = (  # B608 below: this module's constants, no input
    _INSERT + "SELECT 'o:' || CAST(office_id AS VARCHAR(12)), '*', metric, day, sum(count) "  # nosec B608
    "FROM daily_rollups GROUP BY office_id, metric, day",
    _from_lineage(
        "SELECT areas.area, '*', r.metric, r.day, sum(r.count) "
        "FROM daily_rollups r JOIN areas ON areas.office_id = r.office_id "
        "GROUP BY areas.area, r.metric, r.day"
    ),
    _from_lineage(
        "SELECT areas.area, 'd:' || o.department_code, r.metric, r.day, sum(r.count) "
        "FROM daily_rollups r JOIN areas ON areas.office_id = r.office_id "
        "JOIN offices o ON o.id = r.office_id "
        "GROUP BY areas.area, o.department_code, r.metric, r.day"
    ),
    _from_lineage(
        "SELECT areas.area, 's:' || CAST(r.service_id AS VARCHAR(12)), r.metric, "
        "r.day, sum(r.count) FROM daily_rollups r "
        "JOIN areas ON areas.office_id = r.office_id "
        "GROUP BY areas.area, r.service_id, r.metric, r.day"
    ),
)


def derive_areas(session: Session) -> None:
    """Replace the area grain by the fine grain summed per area and subset (in the caller's
    transaction): after a bulk load or a rebuild."""
    session.execute(sa.delete(AreaRollup))
    for statement in DERIVE_AREAS_SQL:
        session.execute(sa.text(statement))


def rebuild(batch: int = 5000) -> int:
    """Recount every counter from the event history; returns the number of counter rows."""
    counts: Counter[Key] = Counter()
    relevant = [
        a.value for a in Action if event_metrics(a, CaseStatus.APPROVED, score=5) or a in DECISIONS
    ]
    with write_transaction() as session:
        last = 0
        while True:
            events = session.scalars(
                sa.select(CaseEvent)
                .where(CaseEvent.id > last, CaseEvent.action.in_(relevant))
                .order_by(CaseEvent.id)
                .limit(batch)
            ).all()
            if not events:
                break
            last = events[-1].id
            cases = {
                c.id: c
                for c in session.scalars(
                    sa.select(Case).where(Case.id.in_({e.case_id for e in events}))
                )
            }
            decided = [e.case_id for e in events if e.action in DECISIONS]
            pauses: dict[int, list[ClockPause]] = {}
            for p in session.scalars(sa.select(ClockPause).where(ClockPause.case_id.in_(decided))):
                pauses.setdefault(p.case_id, []).append(p)
            for e in events:
                case = cases[e.case_id]
                for metric, n in _metrics(e, case, pauses.get(case.id, [])).items():
                    counts[(local_date(e.at), _office(e, case), case.service_id, metric)] += n
            session.expunge_all()
        session.execute(sa.delete(DailyRollup))
        _upsert(session, counts)
        derive_areas(session)
        recount_open_days(session)
    return len(counts)


OPEN_DAY_KINDS = ("act_by", "received_on")


def recount_open_days(session: Session) -> None:
    """Replace the open-case histogram by a count of the open cases (the triggers keep it so
    between recounts; this repairs a database whose triggers were dropped)."""
    session.execute(sa.delete(OpenCaseDay))
    for kind in OPEN_DAY_KINDS:
        day = getattr(Case, kind)
        session.execute(
            sa.insert(OpenCaseDay).from_select(
                ["office_id", "kind", "day", "service_id", "count"],
                sa.select(
                    Case.custody_office_id, sa.literal(kind), day, Case.service_id, sa.func.count()
                )
                .where(sa.text(f"cases.status IN ({OPEN_SQL})"), day.is_not(None))
                .group_by(Case.custody_office_id, day, Case.service_id),
            )
        )
