"""The office side: the queue's order and filters, the Art. 32 sweep, reveals, canned notes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from tests.builders import NOW, citizen, clerk, office, submit
from tracker.domain.errors import DomainError
from tracker.domain.states import CaseStatus
from tracker.domain.workflow import Action
from tracker.extensions import db
from tracker.models import NO_DEADLINE, AuditEntry, Case, Notification
from tracker.services import cases as ops
from tracker.services import office as office_ops
from tracker.services.workqueue import QueueFilters, office_queue


def at(d: date, hour: int = 10) -> datetime:
    return datetime(d.year, d.month, d.day, hour - 8, tzinfo=UTC)


def test_act_by_is_the_acceptance_deadline_then_the_due_date(app):
    cd = clerk("510100-hf")
    case = submit(
        "hf-retirement-withdrawal", citizen(), "510100-hf", "510100-hf", now=at(date(2026, 9, 28))
    )
    # 5 working days: Sep 29, 30, (National Day off) Oct 8, 9 and Saturday Oct 10 (调休).
    assert case.act_by == date(2026, 10, 10)
    case = ops.act(case.id, Action.ACCEPT, cd, at(date(2026, 10, 9)))
    assert case.act_by == case.due_on == date(2026, 10, 13)  # Oct 10 (Sat), 12, 13
    case = ops.act(case.id, Action.REQUEST_SUPPLEMENT, cd, at(date(2026, 10, 10)), reason="缺")
    assert case.act_by == NO_DEADLINE  # paused: nothing due from the office, sorts last
    case = ops.act(case.id, Action.CANCEL, cd, at(date(2026, 10, 12)), reason="重复")
    assert case.act_by is None


def test_queue_sorts_by_act_by_and_counts_filters(app):
    cd = clerk("510100-hf")
    today = date(2026, 11, 2)
    old = submit(
        "hf-retirement-withdrawal", citizen(), "510100-hf", "510100-hf", now=at(date(2026, 10, 20))
    )
    new = submit("hf-retirement-withdrawal", citizen(), "510100-hf", "510100-hf", now=NOW)
    paused = submit("hf-retirement-withdrawal", citizen(), "510100-hf", "510100-hf", now=NOW)
    ops.act(paused.id, Action.REQUEST_SUPPLEMENT, cd, NOW, reason="缺")
    submit("mi-offsite-registration", citizen(), "510100-mi", "510100-mi")  # another office
    page = office_queue(
        office("510100-hf").id,
        QueueFilters(),
        user_id=cd.id,
        today=today,
        risk_until=date(2026, 11, 5),
    )
    assert [c.id for c in page.rows] == [old.id, new.id, paused.id]
    assert page.counts["due:overdue"] == 1 and page.counts["due:paused"] == 1
    assert page.counts["received"] == 2 and page.counts["supplement_requested"] == 1
    by_number = office_queue(
        office("510100-hf").id,
        QueueFilters(q=new.tracking_number.lower()),
        user_id=cd.id,
        today=today,
        risk_until=today,
    )
    assert [c.id for c in by_number.rows] == [new.id]
    by_name = office_queue(
        office("510100-hf").id,
        QueueFilters(q=old.applicant.real_name),
        user_id=cd.id,
        today=today,
        risk_until=today,
    )
    assert [c.id for c in by_name.rows] == [old.id]


def test_queue_query_uses_the_index_without_sorting(app):
    from sqlalchemy.dialects import sqlite

    from tracker.services.workqueue import _queue_where

    where = _queue_where(1, QueueFilters(), 1, date(2026, 11, 2), date(2026, 11, 5))
    stmt = sa.select(Case.id).where(*where).order_by(Case.act_by, Case.id).limit(50)
    sql = str(stmt.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    plan = " ".join(r[-1] for r in db.session.execute(sa.text("EXPLAIN QUERY PLAN " + sql)))
    assert "ix_cases_queue_open" in plan and "TEMP B-TREE" not in plan, plan


def test_sweep_applies_the_five_day_rule_once_and_tells_offices_once_a_day(app):
    cd = clerk("510100-hf")
    case = submit(
        "hf-retirement-withdrawal", citizen(), "510100-hf", "510100-hf", now=at(date(2026, 10, 20))
    )
    first = office_ops.sweep(at(date(2026, 10, 27)))  # 5 working days not yet passed
    assert first.deemed_accepted == 0
    second = office_ops.sweep(at(date(2026, 10, 28)))
    assert second.deemed_accepted == 1
    db.session.rollback()
    fresh = db.session.get(Case, case.id)
    assert fresh.status is CaseStatus.ACCEPTED and fresh.clock_start_on == date(2026, 10, 20)
    assert fresh.due_on == date(2026, 10, 23)
    again = office_ops.sweep(at(date(2026, 10, 28), 15))
    assert again.deemed_accepted == 0 and again.overdue_notices == 0
    told = db.session.scalars(
        sa.select(Notification).where(
            Notification.user_id == cd.id, Notification.title == "办件逾期提醒"
        )
    ).all()
    assert len(told) == 1 and case.tracking_number in told[0].body
    next_day = office_ops.sweep(at(date(2026, 10, 29)))
    assert next_day.overdue_notices == 1


def test_reveal_needs_a_reason_and_is_audited(app):
    cd = clerk("510100-mi")
    case = submit("mi-offsite-registration", citizen(), "510100-mi", "510100-mi")
    with pytest.raises(DomainError, match="理由"):
        office_ops.reveal_resident_id(cd, case, "  ", NOW)
    with pytest.raises(DomainError):
        office_ops.reveal_resident_id(clerk("500112-mi"), case, "核对身份信息", NOW)
    full = office_ops.reveal_resident_id(cd, case, "核对身份信息", NOW, ip="127.0.0.1")
    assert full == case.applicant.resident_id and "*" not in full
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "reveal_resident_id")
    ).one()
    assert entry.user_id == cd.id and entry.detail == {"reason": "核对身份信息"}


def test_canned_notes_belong_to_one_office(app):
    cd, cq = clerk("510100-hf"), clerk("500112-hf")
    note = office_ops.add_canned_note(cd, "supplement", "  身份证复印件不清晰，请重新上传  ", NOW)
    assert note.text == "身份证复印件不清晰，请重新上传"
    assert office_ops.canned_notes(office("510100-hf").id) == [note]
    assert office_ops.canned_notes(office("500112-hf").id) == []
    with pytest.raises(DomainError):
        office_ops.delete_canned_note(cq, note.id)
    office_ops.delete_canned_note(cd, note.id)
    assert office_ops.canned_notes(office("510100-hf").id) == []
