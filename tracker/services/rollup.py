"""Keep the daily rollup in step with the event history.

``record`` runs inside the transaction that writes each event (so the counters can never
disagree with the history); ``rebuild`` recounts everything from the history, idempotently,
for a database loaded by other means or to check the counters.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..database import write_transaction
from ..domain import clock
from ..domain.errors import UnknownCalendarYear
from ..domain.states import CaseStatus
from ..domain.throughput import EventFacts, completed_on_time, metrics_for
from ..domain.workflow import Action
from ..extensions import db
from ..models import Case, CaseEvent, ClockPause, DailyRollup
from .calendar import get_calendar, local_date

Key = tuple[date, int, int, str]
DECISIONS = (Action.APPROVE, Action.APPROVE_TOLERATED, Action.REFUSE)


def _facts(event: CaseEvent, case: Case, pauses: Iterable[ClockPause]) -> EventFacts:
    action = Action(event.action)
    facts = EventFacts(action=action, to_status=event.to_status,
                       score=(event.payload or {}).get("score"))
    if action in DECISIONS and case.clock_start_on is not None:
        done = local_date(event.at)
        spans = [clock.Pause(p.started_on, p.ended_on, p.kind)  # type: ignore[arg-type]
                 for p in pauses if p.ended_on is not None and p.ended_on > case.clock_start_on]
        try:
            cal = get_calendar()
            used = clock.working_days_used(case.clock_start_on, spans, done, cal)
            paused = sum(cal.working_days_between(max(p.start, case.clock_start_on), p.end or done)
                         for p in spans if p.kind == "supplement")
        except UnknownCalendarYear:
            used = paused = None  # type: ignore[assignment]
        facts = EventFacts(action=action, to_status=event.to_status,
                           on_time=completed_on_time(done, case.due_on, case.due_pending_year),
                           working_days=used, paused_days=paused)
    return facts


def _office(event: CaseEvent, case: Case) -> int:
    """Receipts count where the case was filed; everything else where it is decided."""
    return case.receiving_office_id if event.action == Action.SUBMIT else case.competent_office_id


def _upsert(session: Session, counts: Counter[Key]) -> None:
    if not counts:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    rows = [{"day": d, "office_id": o, "service_id": s, "metric": m, "count": n}
            for (d, o, s, m), n in counts.items()]
    stmt = insert(DailyRollup)
    stmt = stmt.on_conflict_do_update(
        index_elements=["day", "office_id", "service_id", "metric"],
        set_={"count": DailyRollup.count + stmt.excluded.count})
    for start in range(0, len(rows), 500):
        session.execute(stmt, rows[start:start + 500])


def record(session: Session, event: CaseEvent, case: Case) -> None:
    """Add one event's counters (called by the case services before they commit)."""
    pauses = (session.scalars(sa.select(ClockPause).where(ClockPause.case_id == case.id)).all()
              if event.action in DECISIONS else ())
    metrics = metrics_for(_facts(event, case, pauses))
    if metrics:
        key = (local_date(event.at), _office(event, case), case.service_id)
        _upsert(session, Counter({(*key, m): n for m, n in metrics.items()}))


def rebuild(batch: int = 5000) -> int:
    """Recount every counter from the event history; returns the number of counter rows."""
    counts: Counter[Key] = Counter()
    relevant = [a.value for a in Action if metrics_for(EventFacts(a, CaseStatus.APPROVED,
                                                                    score=5)) or a in DECISIONS]
    with write_transaction() as session:
        last = 0
        while True:
            events = session.scalars(
                sa.select(CaseEvent).where(CaseEvent.id > last, CaseEvent.action.in_(relevant))
                .order_by(CaseEvent.id).limit(batch)).all()
            if not events:
                break
            last = events[-1].id
            cases = {c.id: c for c in session.scalars(
                sa.select(Case).where(Case.id.in_({e.case_id for e in events})))}
            decided = [e.case_id for e in events if e.action in DECISIONS]
            pauses: dict[int, list[ClockPause]] = {}
            for p in session.scalars(sa.select(ClockPause).where(ClockPause.case_id.in_(decided))):
                pauses.setdefault(p.case_id, []).append(p)
            for e in events:
                case = cases[e.case_id]
                for metric, n in metrics_for(_facts(e, case, pauses.get(case.id, []))).items():
                    counts[(local_date(e.at), _office(e, case), case.service_id, metric)] += n
            session.expunge_all()
        session.execute(sa.delete(DailyRollup))
        _upsert(session, counts)
    return len(counts)


def snapshot() -> dict[Key, int]:
    return {(r.day, r.office_id, r.service_id, r.metric): r.count
            for r in db.session.scalars(sa.select(DailyRollup))}
