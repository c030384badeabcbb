"""The daily rollups kept by each event equal a full recount of the history (PERFORMANCE.md:
dashboards read counters, so the counters must be right); the area grain kept by each event
equals the fine grain summed per area and subset."""

from __future__ import annotations

from collections import Counter
from datetime import date

import sqlalchemy as sa

from tests import rollup_snapshots as snap
from tracker.domain.states import OPEN_STATES, CaseStatus
from tracker.extensions import db
from tracker.models import Case, DailyRollup
from tracker.services import rollup
from tracker.services.demo import seed_demo


def test_incremental_counters_equal_a_full_recount_and_replays_change_nothing(app):
    seed_demo(today=date(2026, 11, 20), cases=150, seed=7)
    db.session.rollback()
    incremental, areas = snap.snapshot(), snap.area_snapshot()
    assert incremental, "events should have moved counters"
    assert len(areas) > len(incremental)
    rollup.rebuild(batch=97)  # an odd batch size crosses case boundaries
    db.session.rollback()
    assert snap.snapshot() == incremental
    # The area grain kept event by event equals the fine grain summed in SQL.
    assert snap.area_snapshot() == areas
    rollup.rebuild()
    db.session.rollback()
    assert snap.snapshot() == incremental
    assert snap.area_snapshot() == areas


def recounted_open_days() -> dict:
    kept = snap.open_days_snapshot()
    db.session.rollback()
    with db.session.begin():
        rollup.recount_open_days(db.session)
    recount = snap.open_days_snapshot()
    db.session.rollback()
    return {"kept": kept, "recount": recount}


def test_open_case_histogram_follows_every_write_to_the_cases(app):
    """The triggers keep open cases per office and day equal to a count of the cases, after
    every move the services make and after writes that bypass them."""
    seed_demo(today=date(2026, 11, 20), cases=150, seed=7)
    db.session.rollback()
    first = recounted_open_days()
    assert first["kept"] == first["recount"]
    assert sum(n for (_, kind, _, _), n in first["kept"].items() if kind == "received_on") == (
        db.session.scalar(
            sa.select(sa.func.count(Case.id)).where(Case.status.in_(sorted(OPEN_STATES)))
        )
    )
    # Raw SQL, as an operator might: close one case, move another's deadline and office.
    some = db.session.scalars(
        sa.select(Case)
        .where(Case.status.in_(sorted(OPEN_STATES)), Case.act_by.is_not(None))
        .order_by(Case.id)
        .limit(2)
    ).all()
    closed, moved = some[0].id, some[1].id
    other_office = db.session.scalar(
        sa.select(Case.custody_office_id).where(Case.custody_office_id != some[1].custody_office_id)
    )
    db.session.rollback()
    with db.session.begin():
        db.session.execute(
            sa.text("UPDATE cases SET status = 'withdrawn', act_by = NULL WHERE id = :i"),
            {"i": closed},
        )
        db.session.execute(
            sa.text("UPDATE cases SET act_by = '2026-12-01', custody_office_id = :o WHERE id = :i"),
            {"i": moved, "o": other_office},
        )
    after = recounted_open_days()
    assert after["kept"] == after["recount"] != first["kept"]
    assert all(n > 0 for n in after["kept"].values())  # emptied rows are dropped


def test_counters_agree_with_the_cases_themselves(app):
    seed_demo(today=date(2026, 11, 20), cases=120, seed=11)
    db.session.rollback()
    totals: Counter[str] = Counter()
    for metric, n in db.session.execute(
        sa.select(DailyRollup.metric, sa.func.sum(DailyRollup.count)).group_by(DailyRollup.metric)
    ):
        totals[metric] = int(n)
    by_status = Counter(db.session.scalars(sa.select(Case.status)))
    assert totals["received"] == 120
    assert totals["approved"] == by_status[CaseStatus.APPROVED]
    assert totals["refused"] == by_status[CaseStatus.REFUSED]
    assert totals["not_accepted"] == by_status[CaseStatus.NOT_ACCEPTED]
    assert totals["withdrawn"] == by_status[CaseStatus.RETRACTED] + by_status[CaseStatus.WITHDRAWN]
    assert totals["cancelled"] == by_status[CaseStatus.CANCELLED]
    decided = sum(
        by_status[s]
        for s in (CaseStatus.APPROVED, CaseStatus.APPROVED_TOLERATED, CaseStatus.REFUSED)
    )
    assert totals["on_time"] + totals["late"] == decided
    assert sum(v for k, v in totals.items() if k.startswith("wd:")) == decided
