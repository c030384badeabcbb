"""Concurrent submissions into one office on PostgreSQL do not queue behind each other's hot
rows (issue 15 item 3, docs/performance.md "Do 16 concurrent submissions into one province
queue?"): the province's tracking serial, the office's open-case histogram row and the area
rollups are each held only for a commit, never for the whole submission.

A first submission is held open just before its transaction commits (after every statement
it runs); a second one into the same office on the same day must finish meanwhile. Before the
fix it waited on ``tracking_sequences`` (then on ``open_case_days``, then ``area_rollups``).
Then both commit, and the counters equal a rebuild from the history.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from tests import rollup_snapshots as snap
from tests.builders import NOW, citizen, submit
from tracker.extensions import db
from tracker.models import Case, OpenCaseDay, TrackingSequence
from tracker.services import cases as case_ops
from tracker.services import rollup

pytestmark = pytest.mark.usefixtures("pg_url")

OFFICE = "510100-mi"
WAIT = 15.0  # seconds the second submission is given while the first is held open


def test_a_pending_submission_does_not_hold_the_next_one(
    pg_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_id, second_id = citizen().id, citizen().id
    db.session.commit()
    db.session.remove()

    held, release = threading.Event(), threading.Event()
    original = case_ops._notify

    def notify_then_hold(*args: Any, **kwargs: Any) -> None:
        # The last statement inside submit_case's transaction: the first submission stops
        # here, with everything written but not committed, until the test lets it go.
        original(*args, **kwargs)
        if threading.current_thread().name == "first":
            held.set()
            release.wait(60)

    monkeypatch.setattr(case_ops, "_notify", notify_then_hold)
    filed: dict[str, str] = {}
    errors: list[str] = []

    def file(applicant_id: int) -> None:
        with pg_app.app_context():
            try:
                from tracker.models import User

                person = db.session.get(User, applicant_id)
                assert person is not None
                case = submit("mi-offsite-registration", person, OFFICE, OFFICE, now=NOW)
                filed[threading.current_thread().name] = case.tracking_number
            except Exception as exc:  # reported by the assertions below
                errors.append(f"{threading.current_thread().name}: {exc!r}")
            finally:
                db.session.remove()

    first = threading.Thread(target=file, args=(first_id,), name="first")
    second = threading.Thread(target=file, args=(second_id,), name="second")
    first.start()
    try:
        assert held.wait(60), f"the first submission never reached its commit: {errors}"
        second.start()
        second.join(WAIT)
        finished_meanwhile = not second.is_alive()
    finally:
        release.set()
        first.join(60)
        if second.is_alive() or second.ident is not None:
            second.join(60)
    assert not errors, errors
    assert finished_meanwhile, (
        "the second submission waited for the first one's commit: a hot row "
        "(tracking serial, open-case histogram or area rollup) was held for the whole submission"
    )
    assert set(filed) == {"first", "second"} and filed["first"] != filed["second"]

    # Both landed, and the counters kept outside the statements' order are still exact.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 2
    assert db.session.scalar(sa.select(TrackingSequence.last)) == 2
    open_rows = db.session.scalars(sa.select(OpenCaseDay.count)).all()
    assert sum(open_rows) == 4  # each open case counts on its act-by day and its received day
    counted = (snap.snapshot(), snap.area_snapshot(), snap.open_days_snapshot())
    db.session.commit()
    rollup.rebuild()
    db.session.expire_all()
    assert (snap.snapshot(), snap.area_snapshot(), snap.open_days_snapshot()) == counted
    assert counted[0] and counted[1], "the submissions counted nowhere"
