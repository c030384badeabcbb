"""Two clerks act on one case at the same moment: exactly one wins, the other gets a
conflict and nothing of theirs is written (SECURITY.md #7), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from tests.builders import NOW, citizen, clerk, submit
from tracker.domain.errors import DomainError
from tracker.domain.states import CaseStatus
from tracker.domain.workflow import Action
from tracker.extensions import db
from tracker.models import Case, CaseEvent, Notification, User
from tracker.services import cases as ops


def race(app, case_id: int, moves: list[tuple[Action, int, str | None]]) -> list[object]:
    """Run each (action, clerk id, reason) in its own thread, released together."""
    barrier = threading.Barrier(len(moves))
    results: list[object] = [None] * len(moves)

    def run(i: int, action: Action, clerk_id: int, reason: str | None) -> None:
        with app.app_context():
            actor = db.session.get(User, clerk_id)
            barrier.wait()
            try:
                results[i] = ops.act(
                    case_id, action, actor, NOW, expected_version=1, reason=reason
                ).status
            except DomainError as exc:
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, *m)) for i, m in enumerate(moves)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def check_one_winner(app) -> None:
    applicant = citizen()
    a, b = clerk("510100-mi"), clerk("510100-mi")
    for _ in range(3):  # a few rounds: the race must hold every time, not by luck
        case = submit("mi-offsite-registration", applicant, "510100-mi", "510100-mi")
        notes_before = db.session.scalar(sa.select(sa.func.count(Notification.id)))
        results = race(
            app, case.id, [(Action.ACCEPT, a.id, None), (Action.REJECT, b.id, "不属于受理范围")]
        )
        winners = [r for r in results if isinstance(r, CaseStatus)]
        losers = [r for r in results if isinstance(r, DomainError)]
        assert len(winners) == 1 and len(losers) == 1, results
        assert isinstance(losers[0], ops.StaleCase)
        db.session.rollback()  # end this session's read snapshot (WAL) before looking again
        fresh = db.session.get(Case, case.id)
        assert fresh.status is winners[0] and fresh.version == 2
        events = db.session.scalars(
            sa.select(CaseEvent.action).where(CaseEvent.case_id == case.id)
        ).all()
        assert len(events) == 2 and events[0] == "submit"
        assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == notes_before + 1


def test_two_clerks_one_case_on_sqlite(app):
    check_one_winner(app)


@pytest.mark.postgres
def test_two_clerks_one_case_on_postgresql(pg_app):
    check_one_winner(pg_app)
