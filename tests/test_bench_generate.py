"""The benchmark generator writes what the services would: same tables, same invariants."""

from __future__ import annotations

from datetime import date
from itertools import groupby

import pytest
import sqlalchemy as sa

from bench.generate import generate
from tests import rollup_snapshots as snap
from tracker.domain.identifiers import parse_tracking_number
from tracker.domain.states import CaseStatus
from tracker.domain.workflow import Action, WorkflowGraph
from tracker.extensions import db
from tracker.models import Case, CaseEvent
from tracker.services import rollup

EDGES = {(src, action, dst) for src, action, dst in WorkflowGraph().edges}
SIDE_EVENTS = {Action.RATE, Action.SUBMIT}  # recorded beside the transition table


def check_generated(n: int) -> None:
    report = generate(cases=n, seed=3, today=date(2026, 11, 21), batch=97)
    assert report.cases == n and report.events >= 3 * n
    cases = {c.id: c for c in db.session.scalars(sa.select(Case))}
    assert len(cases) == n and len({c.tracking_number for c in cases.values()}) == n
    events = db.session.execute(
        sa.select(
            CaseEvent.case_id, CaseEvent.action, CaseEvent.from_status, CaseEvent.to_status
        ).order_by(CaseEvent.case_id, CaseEvent.id)
    ).all()
    for case_id, rows in groupby(events, key=lambda r: r[0]):
        rows = list(rows)
        case = cases[case_id]
        assert parse_tracking_number(case.tracking_number) == case.tracking_number
        assert rows[0][1] == "submit" and rows[-1][3] is case.status
        assert case.version == len(rows)
        for _, action, src, dst in rows:
            if Action(action) not in SIDE_EVENTS:
                assert (src, Action(action), dst) in EDGES, (case.tracking_number, action)
        if case.status.is_closed:
            assert case.act_by is None and case.completed_at is not None
        elif case.status is CaseStatus.RECEIVED:
            assert case.act_by is not None and case.act_by > case.received_on
    open_days = snap.open_days_snapshot()
    assert open_days, "generated open cases fill the open-case histogram"
    generated, areas = snap.snapshot(), snap.area_snapshot()
    assert sum(
        n for (area, subset, _, _), n in areas.items() if (area, subset) == ("*", "*")
    ) == sum(generated.values())
    rollup.rebuild()
    db.session.rollback()
    assert snap.snapshot() == generated
    assert snap.area_snapshot() == areas
    assert snap.open_days_snapshot() == open_days  # the triggers counted what a recount does


def test_generated_cases_keep_the_invariants_on_sqlite(app):
    check_generated(600)


@pytest.mark.postgres
def test_generated_cases_keep_the_invariants_on_postgresql(pg_app):
    check_generated(300)


def test_the_bench_keeps_one_secret_key_for_its_reused_datasets(tmp_path, monkeypatch):
    """A dataset is generated once and reused by later runs; its resident IDs are sealed with
    keys derived from SECRET_KEY, so every run must use the same one (a fresh key per run
    made the second run fail to open them)."""
    import stat

    from bench import run

    monkeypatch.setattr(run, "DATA", tmp_path)
    first = run._dataset_secret()
    assert run._dataset_secret() == first and len(first) == 64
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
