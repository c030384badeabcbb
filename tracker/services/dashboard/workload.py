"""Clerk workload: open cases per assignee now, decisions per clerk and Beijing day."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from ...domain.states import Role
from ...domain.workflow import Action
from ...extensions import db
from ...models import Case, CaseEvent, User
from ._sql import as_date, local_day_sql, open_status
from .grain import Selection

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
    return {
        (o, a): int(n)
        for o, a, n in db.session.execute(
            sa.select(Case.custody_office_id, Case.assignee_id, sa.func.count())  # index only
            .where(open_status(), Case.custody_office_id.in_(sorted(office_ids)))
            .group_by(Case.custody_office_id, Case.assignee_id)
        )
    }


def workload(
    office_ids: Collection[int], sel: Selection, open_cases: Mapping[tuple[int, int | None], int]
) -> list[ClerkLoad]:
    """Per clerk of the offices: open cases assigned now (``open_cases``, from
    :func:`open_by_assignee`), and decisions per Beijing day in the range. Two queries
    (clerks, decisions per clerk and day)."""
    ids = list(office_ids)
    clerks = db.session.execute(
        sa.select(User.id, User.username, User.real_name, User.office_id)
        .where(User.role == Role.CLERK, User.office_id.in_(ids))
        .order_by(User.office_id, User.username)
    ).all()
    open_by: Counter[int] = Counter()
    for (_, assignee), n in open_cases.items():
        if assignee is not None:
            open_by[assignee] += n
    lo, hi = sel.utc_bounds
    day = local_day_sql(CaseEvent.at)
    done: dict[int, dict[date, int]] = defaultdict(dict)
    for actor_id, d, n in db.session.execute(
        sa.select(CaseEvent.actor_id, day, sa.func.count(CaseEvent.id))
        .where(
            CaseEvent.at >= lo,
            CaseEvent.at < hi,
            CaseEvent.action.in_(DECISIONS),
            CaseEvent.office_id.in_(ids),
            CaseEvent.actor_id.is_not(None),
        )
        .group_by(CaseEvent.actor_id, day)
    ):
        done[actor_id][as_date(d)] = int(n)
    return [
        ClerkLoad(
            c.id, c.username or "", c.real_name, c.office_id, open_by[c.id], done.get(c.id, {})
        )
        for c in clerks
    ]


def unassigned_open(open_cases: Mapping[tuple[int, int | None], int]) -> dict[int, int]:
    """Open cases nobody has claimed, per holding office (from :func:`open_by_assignee`)."""
    return {
        office_id: n for (office_id, assignee), n in open_cases.items() if assignee is None and n
    }
