"""The daily rollup kept by each event equals a full recount of the history (PERFORMANCE.md:
dashboards read counters, so the counters must be right)."""

from __future__ import annotations

from collections import Counter
from datetime import date

import sqlalchemy as sa

from tracker.domain.states import CaseStatus
from tracker.extensions import db
from tracker.models import Case, DailyRollup
from tracker.services import rollup
from tracker.services.demo import seed_demo


def test_incremental_counters_equal_a_full_recount_and_replays_change_nothing(app):
    seed_demo(today=date(2026, 11, 20), cases=150, seed=7)
    db.session.rollback()
    incremental = rollup.snapshot()
    assert incremental, "events should have moved counters"
    rollup.rebuild(batch=97)  # an odd batch size crosses case boundaries
    db.session.rollback()
    assert rollup.snapshot() == incremental
    rollup.rebuild()
    db.session.rollback()
    assert rollup.snapshot() == incremental


def test_counters_agree_with_the_cases_themselves(app):
    seed_demo(today=date(2026, 11, 20), cases=120, seed=11)
    db.session.rollback()
    totals: Counter[str] = Counter()
    for metric, n in db.session.execute(
            sa.select(DailyRollup.metric, sa.func.sum(DailyRollup.count))
            .group_by(DailyRollup.metric)):
        totals[metric] = int(n)
    by_status = Counter(db.session.scalars(sa.select(Case.status)))
    assert totals["received"] == 120
    assert totals["approved"] == by_status[CaseStatus.APPROVED]
    assert totals["refused"] == by_status[CaseStatus.REFUSED]
    assert totals["not_accepted"] == by_status[CaseStatus.NOT_ACCEPTED]
    assert totals["withdrawn"] == by_status[CaseStatus.RETRACTED] + by_status[CaseStatus.WITHDRAWN]
    assert totals["cancelled"] == by_status[CaseStatus.CANCELLED]
    decided = sum(by_status[s] for s in (CaseStatus.APPROVED, CaseStatus.APPROVED_TOLERATED,
                                         CaseStatus.REFUSED))
    assert totals["on_time"] + totals["late"] == decided
    assert sum(v for k, v in totals.items() if k.startswith("wd:")) == decided
