"""SQLite write contention (SECURITY.md #10): 8 processes × 200 submissions into one SQLite
file, through the real service (``write_transaction``: WAL, busy timeout, ``BEGIN IMMEDIATE``,
rollup upserts, open-case triggers), as fast as they can. None may fail ("database is locked"
above all), and every case, event, notice, tracking serial and counter must be there after.

Each submission carries an idempotency key, as the citizen form's token does, so each write
transaction reads before it writes: the case ARCHITECTURE.md warns fails at once without
``BEGIN IMMEDIATE``, whatever the busy timeout. Workers are spawned, not forked (forking after
SQLAlchemy engines exist shares their connections), and each builds its own app on the file.
"""

from __future__ import annotations

import multiprocessing
import queue
import random
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from tests import rollup_snapshots as snap
from tests.builders import NOW, citizen, office, service
from tracker.domain.states import OPEN_STATES, CaseStatus
from tracker.extensions import db
from tracker.models import (
    Case,
    CaseEvent,
    DailyRollup,
    Notification,
    OutboxMessage,
    TrackingSequence,
    User,
)
from tracker.services import cases as case_ops
from tracker.services import rollup
from tracker.services.demo import demo_form_data

WORKERS = 8
PER_WORKER = 200
# (service, receiving office, competent office): two provinces' tracking sequences (51, 50),
# three services, several offices' counters, one cross-province route.
ROUTES = (
    ("mi-offsite-registration", "510100-mi", "510100-mi"),
    ("hf-retirement-withdrawal", "500112-hf", "510100-hf"),
    ("hf-transfer", "500112-hf", "500112-hf"),
    ("hf-retirement-withdrawal", "510100-hf", "510100-hf"),
)
START_TIMEOUT = 120.0  # seconds for every worker to build its app and reach the start line
RUN_TIMEOUT = 300.0  # seconds for the whole run before the workers are stopped


def submit_many(
    url: str, worker: int, applicant_id: int, count: int, start: Any, results: Any
) -> None:
    """Worker process: build an app on ``url``, wait for the others, then file ``count``
    applications through ``submit_case``, one transaction each, recording every failure
    instead of stopping. The catalogue rows and the form answers are looked up once, before
    the start, so that the run is spent on the writes the test is about."""
    from tests.conftest import config_for
    from tracker import create_app

    outcome: dict[str, Any] = {"worker": worker, "filed": [], "errors": [], "took": []}
    try:
        app = create_app(config_for(url))
        with app.app_context():
            try:
                applicant = db.session.get(User, applicant_id)
                assert applicant is not None, f"applicant {applicant_id} not in {url}"
                routes = [(service(s), office(r), office(c)) for s, r, c in ROUTES]
                forms = [demo_form_data(svc, random.Random(1)) for svc, _, _ in routes]
                db.session.rollback()  # hold no read snapshot while waiting
                start.wait(START_TIMEOUT)
                for i in range(count):
                    k = (worker + i) % len(ROUTES)
                    svc, receiving, competent = routes[k]
                    # Two days: counters and sequences are both created and bumped under load.
                    now = NOW + timedelta(days=(i // len(ROUTES)) % 2, seconds=i)
                    began = time.perf_counter()
                    try:
                        case = case_ops.submit_case(
                            applicant=applicant,
                            service=svc,
                            receiving_office=receiving,
                            competent_office=competent,
                            form_data=forms[k],
                            now=now,
                            idempotency_key=f"contention-{worker}-{i}",
                        )
                        outcome["filed"].append(case.tracking_number)
                    except Exception as exc:  # recorded for the parent's assertion
                        db.session.rollback()
                        outcome["errors"].append(f"{type(exc).__name__}: {exc}"[:400])
                    outcome["took"].append(time.perf_counter() - began)
            finally:
                db.session.remove()
                db.engine.dispose()
    except BaseException as exc:  # reported to the parent, which fails the test
        start.abort()  # the others stop waiting at the start line
        outcome["errors"].append(f"worker {worker} stopped: {type(exc).__name__}: {exc}"[:400])
    results.put(outcome)


def run_workers(url: str, applicant_ids: list[int]) -> list[dict[str, Any]]:
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(len(applicant_ids))
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=submit_many,
            name=f"contention-{w}",
            args=(url, w, uid, PER_WORKER, start, results),
        )
        for w, uid in enumerate(applicant_ids)
    ]
    for p in procs:
        p.start()
    outcomes: list[dict[str, Any]] = []
    deadline = time.monotonic() + START_TIMEOUT + RUN_TIMEOUT
    try:
        while len(outcomes) < len(procs) and time.monotonic() < deadline:
            try:
                outcomes.append(results.get(timeout=1))
            except queue.Empty:
                if not any(p.is_alive() for p in procs):
                    break  # a worker died without reporting
    finally:
        for p in procs:
            p.join(10 if len(outcomes) == len(procs) else 0)
            if p.is_alive():
                p.kill()
                p.join(10)
            p.close()
        results.close()
        results.join_thread()
    assert len(outcomes) == len(procs), (
        f"only {len(outcomes)} of {len(procs)} workers reported within "
        f"{START_TIMEOUT + RUN_TIMEOUT:.0f} s"
    )
    return outcomes


def serial(tracking_number: str) -> int:
    return int(tracking_number[8:14])  # province2 + yymmdd + 6-digit serial + check character


def test_eight_processes_submitting_at_once_lose_nothing_and_never_see_a_lock(app):
    assert db.engine.dialect.name == "sqlite" and db.engine.url.database, "needs a SQLite file"
    applicants = [citizen() for _ in range(WORKERS)]
    ids = [a.id for a in applicants]
    cases_before = db.session.scalar(sa.select(sa.func.count(Case.id)))
    sequences_before = dict(
        db.session.execute(sa.select(TrackingSequence.scope, TrackingSequence.last)).all()
    )
    db.session.rollback()  # no read snapshot held across the run

    outcomes = run_workers(db.engine.url.render_as_string(hide_password=False), ids)

    errors = [e for o in outcomes for e in o["errors"]]
    locked = sum("database is locked" in e for e in errors)
    took = sorted(t for o in outcomes for t in o["took"]) or [0.0]
    waits = f"submissions took {took[len(took) // 2]:.3f} s median, {took[-1]:.2f} s at worst"
    assert not errors, (
        f"{len(errors)} failures, {locked} of them 'database is "
        f"locked' ({waits}); first: {errors[:5]}"
    )
    filed = [t for o in outcomes for t in o["filed"]]
    assert len(filed) == WORKERS * PER_WORKER
    assert len(set(filed)) == len(filed), "a tracking number was handed out twice"

    db.session.rollback()
    new = db.session.execute(
        sa.select(Case.id, Case.tracking_number, Case.applicant_id, Case.status).where(
            Case.applicant_id.in_(ids)
        )
    ).all()
    assert db.session.scalar(sa.select(sa.func.count(Case.id))) == cases_before + len(filed)
    assert sorted(c.tracking_number for c in new) == sorted(filed)
    assert Counter(c.applicant_id for c in new) == {i: PER_WORKER for i in ids}
    assert {c.status for c in new} == {CaseStatus.RECEIVED}

    # Every case has exactly its submit event and its notice: nothing half-written.
    case_ids = {c.id for c in new}
    events = db.session.execute(
        sa.select(CaseEvent.case_id, CaseEvent.action, CaseEvent.to_status).where(
            CaseEvent.case_id.in_(case_ids)
        )
    ).all()
    assert Counter(e.case_id for e in events) == {i: 1 for i in case_ids}
    assert {(e.action, e.to_status) for e in events} == {("submit", CaseStatus.RECEIVED)}
    notices = Counter(
        db.session.scalars(
            sa.select(Notification.case_id).where(Notification.case_id.in_(case_ids))
        )
    )
    assert notices == {i: 1 for i in case_ids}
    texts = Counter(
        db.session.scalars(
            sa.select(Notification.case_id)
            .join(OutboxMessage)
            .where(Notification.case_id.in_(case_ids), OutboxMessage.channel == "sms")
        )
    )
    assert texts == {i: 1 for i in case_ids}

    # Serials per province and day run 1..n with no gap or repeat, and the sequence says n.
    by_scope: dict[str, list[int]] = {}
    for t in filed:
        by_scope.setdefault(t[:8], []).append(serial(t))
    sequences = dict(
        db.session.execute(sa.select(TrackingSequence.scope, TrackingSequence.last)).all()
    )
    assert len(by_scope) == 4  # two provinces × two days
    for scope, serials in by_scope.items():
        first = sequences_before.get(scope, 0) + 1
        assert sorted(serials) == list(range(first, first + len(serials))), scope
        assert sequences[scope] == first + len(serials) - 1, scope

    # The counters kept event by event, and the open-case histogram the triggers kept, equal
    # a recount of the history and of the open cases (``rebuild`` recounts all three).
    received = db.session.scalar(
        sa.select(sa.func.sum(DailyRollup.count)).where(DailyRollup.metric == "received")
    )
    assert received == cases_before + len(filed)
    incremental, areas = snap.snapshot(), snap.area_snapshot()
    open_days = snap.open_days_snapshot()
    assert sum(n for (_, kind, _, _), n in open_days.items() if kind == "received_on") == (
        db.session.scalar(
            sa.select(sa.func.count(Case.id)).where(Case.status.in_(sorted(OPEN_STATES)))
        )
    )
    db.session.rollback()
    rollup.rebuild()
    db.session.rollback()
    assert snap.snapshot() == incremental
    assert snap.area_snapshot() == areas
    assert snap.open_days_snapshot() == open_days

    assert db.session.execute(sa.text("PRAGMA integrity_check")).scalars().all() == ["ok"]
    assert db.session.execute(sa.text("PRAGMA foreign_key_check")).all() == []
    db.session.rollback()
