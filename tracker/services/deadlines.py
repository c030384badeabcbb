"""Due dates and office deadlines that waited for a year's official calendar.

When an administrator loads a year's table (``tracker holidays load``), the cases whose due
date or Art. 32 deadline ran into that year get them, by the same rules a move uses
(``tracker.domain.effects.due`` and ``act_by``).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..database import write_transaction
from ..domain.clock import WorkingDays
from ..domain.effects import NO_DEADLINE, act_by, due, latest_supplement_arrival
from ..domain.states import OPEN_STATES
from ..models import Case
from .calendar import get_calendar
from .case_store import pauses_of, spans_of


def fill_pending_due_dates() -> int:
    """Compute the due dates that waited for a year's official calendar; returns how many."""
    calendar = get_calendar()
    with write_transaction() as session:
        return len(fill_pending(session, calendar))


def fill_pending(session: Session, calendar: WorkingDays) -> list[Case]:
    """In the caller's transaction: recompute every waiting due date with ``calendar``;
    returns the cases whose due date is now fixed (the caller may tell their applicants)."""
    filled: list[Case] = []
    waiting = session.scalars(sa.select(Case).where(Case.due_pending_year.is_not(None)))
    for case in waiting:
        spans = spans_of(pauses_of(case.id, session))
        case.due_on, case.due_pending_year = due(
            case.clock_start_on, case.promised_days, case.extension_days, spans, calendar
        )
        if case.due_pending_year is None:
            filled.append(case)
        case.act_by = act_by(
            case.status,
            case.accepted_at is not None,
            case.received_on,
            latest_supplement_arrival(spans),
            case.due_on,
            calendar,
        )
    return filled


def refresh_act_by() -> int:
    """Recompute ``act_by`` where it waits for the calendar (after a year's table is loaded)."""
    calendar = get_calendar()
    with write_transaction() as session:
        return refresh_act_by_in(session, calendar)


def refresh_act_by_in(session: Session, calendar: WorkingDays) -> int:
    """``refresh_act_by`` in the caller's transaction, with ``calendar``."""
    changed = 0
    # NO_DEADLINE waits for a calendar; NULL on an open case predates act_by (backfill).
    waiting = session.scalars(
        sa.select(Case).where(
            sa.or_(
                Case.act_by == NO_DEADLINE,
                sa.and_(Case.act_by.is_(None), Case.status.in_(sorted(OPEN_STATES))),
            )
        )
    )
    for case in waiting:
        arrived = latest_supplement_arrival(spans_of(pauses_of(case.id, session)))
        value = act_by(
            case.status,
            case.accepted_at is not None,
            case.received_on,
            arrived,
            case.due_on,
            calendar,
        )
        if value != case.act_by:
            case.act_by = value
            changed += 1
    return changed
