"""The case services end to end on the real schema: every move writes state, version, event
and notice together, or nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.builders import NOW, citizen, clerk, office, submit
from tracker.domain.errors import DomainError, TransitionNotAllowed
from tracker.domain.identifiers import parse_tracking_number
from tracker.domain.states import CaseStatus, SubTaskStatus
from tracker.domain.workflow import Action
from tracker.extensions import db
from tracker.models import Case, CaseEvent, ClockPause, Notification, SubTask
from tracker.services import cases as ops


def day(d: date, hour: int = 10) -> datetime:
    """``hour`` o'clock Shanghai time on ``d`` as UTC."""
    return datetime(d.year, d.month, d.day, hour - 8, tzinfo=UTC)


def events(case: Case) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(CaseEvent.action).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        )
    )


def test_submit_gives_a_valid_tracking_number_event_and_notice(app):
    applicant = citizen()
    case = submit("mi-offsite-registration", applicant, "510100-mi", "510100-mi")
    assert parse_tracking_number(case.tracking_number) == case.tracking_number
    assert case.tracking_number.startswith("51261102")
    assert case.status is CaseStatus.RECEIVED and case.version == 1
    assert case.custody_office_id == office("510100-mi").id
    assert case.received_on == date(2026, 11, 2)
    assert events(case) == ["submit"]
    notes = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == applicant.id)
    ).all()
    assert [n.title for n in notes] == ["申请已提交"]
    second = submit("mi-offsite-registration", applicant, "510100-mi", "510100-mi")
    assert int(second.tracking_number[8:14]) == int(case.tracking_number[8:14]) + 1


def test_same_idempotency_key_files_once(app):
    applicant = citizen()
    a = submit("mi-offsite-registration", applicant, "510100-mi", "510100-mi", idempotency_key="k1")
    b = submit("mi-offsite-registration", applicant, "510100-mi", "510100-mi", idempotency_key="k1")
    assert a.id == b.id
    assert db.session.scalar(sa.select(sa.func.count(Case.id))) == 1


def test_fully_online_case_must_be_filed_with_the_competent_office(app):
    with pytest.raises(DomainError, match="收件地须与办理地相同"):
        submit("mi-offsite-registration", citizen(), "500112-mi", "510100-mi")
    with pytest.raises(DomainError, match="不主管"):
        submit("mi-offsite-registration", citizen(), "510100-hf", "510100-hf")
    assert db.session.scalar(sa.select(sa.func.count(Case.id))) == 0


def test_accept_here_decide_there_forwarded_from_chongqing_and_decided_in_chengdu(app):
    applicant = citizen()
    cq, cd = clerk("500112-hf"), clerk("510100-hf")
    case = submit("hf-retirement-withdrawal", applicant, "500112-hf", "510100-hf")
    # The receiving office may not accept: the competent office decides.
    with pytest.raises(TransitionNotAllowed):
        ops.act(case.id, Action.ACCEPT, cq, NOW)
    with pytest.raises(TransitionNotAllowed, match="形式审查和身份核验"):
        ops.act(case.id, Action.FORWARD, cq, NOW)
    ops.act(case.id, Action.FORMAL_CHECK, cq, NOW)
    ops.act(case.id, Action.IDENTITY_CHECK, cq, NOW)
    case = ops.act(case.id, Action.FORWARD, cq, NOW, expected_version=3)
    assert case.custody_office_id == office("510100-hf").id and case.version == 4
    with pytest.raises(TransitionNotAllowed):
        ops.act(case.id, Action.ACCEPT, cq, NOW)  # custody has moved on
    case = ops.act(case.id, Action.ACCEPT, cd, day(date(2026, 11, 2)))
    # Promised 3 working days, counted from the day after acceptance.
    assert case.clock_start_on == date(2026, 11, 2) and case.due_on == date(2026, 11, 5)
    ops.act(case.id, Action.START_PROCESSING, cd, NOW)
    case = ops.act(case.id, Action.APPROVE, cd, day(date(2026, 11, 4)))
    assert case.status is CaseStatus.APPROVED and case.completed_at is not None
    assert events(case) == [
        "submit",
        "formal_check",
        "identity_check",
        "forward",
        "accept",
        "start_processing",
        "approve",
    ]


def test_supplement_pauses_the_clock_and_moves_the_due_date(app):
    applicant = citizen()
    cd = clerk("510100-hf")
    case = submit("hf-retirement-withdrawal", applicant, "510100-hf", "510100-hf")
    case = ops.act(case.id, Action.ACCEPT, cd, day(date(2026, 11, 2)))
    assert case.due_on == date(2026, 11, 5)
    case = ops.act(
        case.id,
        Action.REQUEST_SUPPLEMENT,
        cd,
        day(date(2026, 11, 3)),
        reason="退休证明不清晰",
        payload={"items": [{"material": "retire", "note": "重传"}]},
    )
    assert case.status is CaseStatus.SUPPLEMENT_REQUESTED and case.due_on is None
    pause = db.session.scalars(sa.select(ClockPause).where(ClockPause.case_id == case.id)).one()
    assert pause.items == [{"material": "retire", "note": "重传"}] and pause.ended_on is None
    # Answered the following Monday: Nov 4-6 and 9 are paused; 3 counted days remain → Nov 9+2.
    case = ops.act(case.id, Action.SUBMIT_SUPPLEMENT, applicant, day(date(2026, 11, 9)))
    assert case.status is CaseStatus.SUPPLEMENTED
    assert case.due_on == date(2026, 11, 11)


def test_pre_acceptance_supplement_starts_the_clock_on_arrival(app):
    applicant, cd = citizen(), clerk("510100-hf")
    case = submit("hf-retirement-withdrawal", applicant, "510100-hf", "510100-hf")
    ops.act(case.id, Action.REQUEST_SUPPLEMENT, cd, day(date(2026, 11, 2)), reason="缺材料")
    ops.act(case.id, Action.SUBMIT_SUPPLEMENT, applicant, day(date(2026, 11, 4)))
    case = ops.act(case.id, Action.ACCEPT, cd, day(date(2026, 11, 6)))
    assert case.clock_start_on == date(2026, 11, 4)
    assert case.due_on == date(2026, 11, 9)  # Nov 5, 6, 9


def test_due_date_in_an_unknown_year_waits_for_the_calendar(app):
    from tracker.services.calendar import load_year_table

    cd = clerk("510100-hrss")
    case = submit("hrss-pension-transfer", citizen(), "510100-hrss", "510100-hrss")
    case = ops.act(case.id, Action.ACCEPT, cd, day(date(2026, 12, 1)))  # 45 WD → 2027
    assert case.due_on is None and case.due_pending_year == 2027
    # An obviously made-up 2027 table (weekends only), as an admin would load the real one.
    load_year_table(
        {
            "year": 2027,
            "source": "测试用表",
            "holidays": [{"name": "元旦", "days": ["2027-01-01"]}],
            "workdays": [],
        },
        loaded_by="t",
        now=NOW,
    )
    assert ops.fill_pending_due_dates() == 1
    db.session.refresh(case)
    assert case.due_pending_year is None and case.due_on == date(2027, 2, 3)


def test_joint_housing_fund_transfer_completes_only_when_the_subtask_is_done(app):
    applicant = citizen()
    lead, other = clerk("500112-hf"), clerk("510100-hf")
    case = submit("hf-transfer", applicant, "500112-hf", "500112-hf")
    ops.act(case.id, Action.ACCEPT, lead, NOW)
    with pytest.raises(DomainError, match="协办角色"):
        ops.act(case.id, Action.START_PROCESSING, lead, NOW)
    case = ops.act(
        case.id,
        Action.START_PROCESSING,
        lead,
        NOW,
        payload={"cooperating_offices": [office("510100-hf").id]},
    )
    task = db.session.scalars(sa.select(SubTask).where(SubTask.case_id == case.id)).one()
    assert task.status is SubTaskStatus.SENT and task.letter_number.startswith("LXH")
    with pytest.raises(TransitionNotAllowed, match="协办"):
        ops.act(case.id, Action.APPROVE, lead, NOW)
    ops.act_on_subtask(task.id, Action.SUBTASK_ACCEPT, other, NOW)
    with pytest.raises(TransitionNotAllowed, match="对方已接收"):
        ops.act_on_subtask(task.id, Action.SUBTASK_CANCEL, lead, NOW, reason="误发")
    ops.act_on_subtask(task.id, Action.SUBTASK_NEGOTIATE, other, NOW, reason="余额不符")
    ops.act_on_subtask(task.id, Action.SUBTASK_RESUME, lead, NOW, reason="已核对")
    task = ops.act_on_subtask(task.id, Action.SUBTASK_COMPLETE, other, NOW)
    assert task.status is SubTaskStatus.DONE
    case = ops.act(case.id, Action.APPROVE, lead, NOW + timedelta(hours=1))
    assert case.status is CaseStatus.APPROVED
    assert events(case)[-5:] == [
        "subtask_accept",
        "subtask_negotiate",
        "subtask_resume",
        "subtask_complete",
        "approve",
    ]


def test_stale_version_is_refused_with_nothing_written(app):
    cd = clerk("510100-mi")
    case = submit("mi-offsite-registration", citizen(), "510100-mi", "510100-mi")
    ops.act(case.id, Action.ACCEPT, cd, NOW, expected_version=1)
    before = (events(case), db.session.scalar(sa.select(sa.func.count(Notification.id))))
    with pytest.raises(ops.StaleCase):
        ops.act(case.id, Action.REQUEST_SUPPLEMENT, cd, NOW, expected_version=1, reason="x")
    db.session.refresh(case)
    assert case.status is CaseStatus.ACCEPTED and case.version == 2
    assert (events(case), db.session.scalar(sa.select(sa.func.count(Notification.id)))) == before


def test_a_crash_after_the_update_leaves_nothing_of_the_move(app, monkeypatch):
    cd = clerk("510100-mi")
    case = submit("mi-offsite-registration", citizen(), "510100-mi", "510100-mi")

    def boom(*args, **kwargs):
        raise RuntimeError("disk full while writing the notice")

    monkeypatch.setattr(ops, "_notify", boom)
    with pytest.raises(RuntimeError):
        ops.act(case.id, Action.ACCEPT, cd, NOW)
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.status is CaseStatus.RECEIVED and case.version == 1 and case.accepted_at is None
    assert events(case) == ["submit"]


def test_closed_case_never_changes_but_its_decision_can_be_delivered(app):
    applicant, cd = citizen(), clerk("510100-mi")
    case = submit("mi-offsite-registration", applicant, "510100-mi", "510100-mi")
    ops.act(case.id, Action.ACCEPT, cd, NOW)
    ops.act(case.id, Action.REFUSE, cd, NOW, reason="不符合备案条件")
    for action, actor in [(Action.CANCEL, cd), (Action.WITHDRAW, applicant), (Action.APPROVE, cd)]:
        with pytest.raises(TransitionNotAllowed, match="不能"):
            ops.act(case.id, action, actor, NOW, reason="x")
    case = ops.act(
        case.id,
        Action.DELIVER,
        cd,
        NOW,
        payload={"delivery_method": "post", "delivery_ref": "SF123"},
    )
    assert case.status is CaseStatus.REFUSED and case.delivery_ref == "SF123"
    with pytest.raises(TransitionNotAllowed, match="已送达"):
        ops.act(case.id, Action.DELIVER, cd, NOW)


def test_rating_once_after_completion_by_the_applicant_only(app):
    applicant, cd = citizen(), clerk("510100-mi")
    case = submit("mi-offsite-registration", applicant, "510100-mi", "510100-mi")
    with pytest.raises(DomainError, match="办结后"):
        ops.rate(case.id, applicant, 5, "", NOW)
    ops.act(case.id, Action.ACCEPT, cd, NOW)
    ops.act(case.id, Action.APPROVE, cd, NOW)
    with pytest.raises(ops.CaseNotFound):
        ops.rate(case.id, citizen(), 1, "", NOW)
    rating = ops.rate(case.id, applicant, 2, "太慢", NOW)
    assert rating.score == 2 and rating.office_id == office("510100-mi").id
    with pytest.raises(DomainError, match="已评价"):
        ops.rate(case.id, applicant, 5, "", NOW)


def test_extension_needs_a_supervisor_of_the_region(app):
    from tests.builders import supervisor

    cd = clerk("510100-hf")
    case = submit("hf-retirement-withdrawal", citizen(), "510100-hf", "510100-hf")
    case = ops.act(case.id, Action.ACCEPT, cd, day(date(2026, 11, 2)))
    ops.act(case.id, Action.REQUEST_EXTENSION, cd, NOW, reason="需核对", payload={"days": 2})
    with pytest.raises(TransitionNotAllowed):
        ops.act(case.id, Action.APPROVE_EXTENSION, supervisor("500000"), NOW, reason="同意")
    case = ops.act(case.id, Action.APPROVE_EXTENSION, supervisor("510000"), NOW, reason="同意")
    assert case.extension_days == 2 and case.extension_requested_days is None
    assert case.due_on == date(2026, 11, 9)  # 3 + 2 working days after Nov 2


def test_lead_office_can_send_new_letters_after_cancelling_a_misdirected_one(app):
    lead = clerk("500112-hf")
    case = submit("hf-transfer", citizen(), "500112-hf", "500112-hf")
    ops.act(case.id, Action.ACCEPT, lead, NOW)
    ops.act(
        case.id,
        Action.START_PROCESSING,
        lead,
        NOW,
        payload={"cooperating_offices": [office("510700-hf").id]},
    )  # wrong centre: 绵阳
    wrong = db.session.scalars(sa.select(SubTask).where(SubTask.case_id == case.id)).one()
    ops.act_on_subtask(wrong.id, Action.SUBTASK_CANCEL, lead, NOW, reason="发错转出中心")
    ops.act(
        case.id,
        Action.SEND_CONTACT_LETTERS,
        lead,
        NOW,
        payload={"cooperating_offices": [office("510100-hf").id]},
    )
    tasks = db.session.scalars(
        sa.select(SubTask).where(SubTask.case_id == case.id).order_by(SubTask.id)
    ).all()
    assert [(t.office.code, t.status) for t in tasks] == [
        ("510700-hf", SubTaskStatus.CANCELLED),
        ("510100-hf", SubTaskStatus.SENT),
    ]
    assert tasks[0].letter_number != tasks[1].letter_number


def test_joint_case_must_be_filed_with_the_lead_office(app):
    with pytest.raises(DomainError, match="多地联办"):
        submit("hf-transfer", citizen(), "510100-hf", "500112-hf")
