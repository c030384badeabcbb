"""What a move changes (tracker.domain.effects), table-driven, with no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from tracker.domain import throughput as tp
from tracker.domain.calendar import WorkingCalendar
from tracker.domain.clock import Pause
from tracker.domain.effects import (
    NO_DEADLINE,
    Timing,
    act_by,
    completion_facts,
    effects,
    facts_after,
    latest_supplement_arrival,
)
from tracker.domain.errors import DomainError
from tracker.domain.states import CaseStatus as S
from tracker.domain.states import HandlingMode, SubTaskStatus
from tracker.domain.workflow import Action as A
from tracker.domain.workflow import CaseFacts, SubTaskFacts

CAL = WorkingCalendar()
MON = date(2026, 11, 2)  # Monday
RECEIVED = date(2026, 10, 26)  # the Monday before


def facts(
    status: S,
    *,
    accepted: bool = False,
    mode: HandlingMode = HandlingMode.FULLY_ONLINE,
    custody: int = 1,
    **kw: object,
) -> CaseFacts:
    return CaseFacts(
        status=status,
        mode=mode,
        applicant_id=9,
        receiving_office_id=1,
        competent_office_id=2 if mode is HandlingMode.ACCEPT_HERE_DECIDE_THERE else 1,
        custody_office_id=custody,
        accepted=accepted,
        **kw,
    )  # type: ignore[arg-type]


def timing(**kw: object) -> Timing:
    base: dict[str, object] = {"received_on": RECEIVED, "promised_days": 10, "statutory_days": 20}
    return Timing(**{**base, **kw})  # type: ignore[arg-type]


def test_accept_starts_the_clock_the_day_after_and_sets_the_due_date():
    ch = effects(A.ACCEPT, facts(S.RECEIVED), timing(), MON, CAL)
    assert ch.status is S.ACCEPTED and "accepted_at" in ch.stamps
    assert ch.timing.clock_start_on == MON
    assert ch.timing.due_on == date(2026, 11, 16)  # 10 working days after Monday 2 Nov
    assert ch.act_by == ch.timing.due_on
    assert ch.metrics == {tp.ACCEPTED: 1}


def test_acceptance_counts_from_the_day_the_supplements_arrived():
    arrived = date(2026, 10, 29)
    t = timing(pauses=(Pause(date(2026, 10, 27), arrived, "supplement"),))
    assert latest_supplement_arrival(t.pauses) == arrived
    assert effects(A.ACCEPT, facts(S.SUPPLEMENTED), t, MON, CAL).timing.clock_start_on == arrived
    # Deemed acceptance (Art. 32) counts from the complete materials, or from receipt.
    assert (
        effects(A.DEEM_ACCEPTED, facts(S.SUPPLEMENTED), t, MON, CAL).timing.clock_start_on
        == arrived
    )
    assert (
        effects(A.DEEM_ACCEPTED, facts(S.RECEIVED), timing(), MON, CAL).timing.clock_start_on
        == RECEIVED
    )


@pytest.mark.parametrize(
    ("action", "status", "kind"),
    [
        (A.REQUEST_SUPPLEMENT, S.PROCESSING, "supplement"),
        (A.START_SPECIAL, S.PROCESSING, "special_procedure"),
    ],
)
def test_a_pause_opens_and_the_due_date_waits(action: A, status: S, kind: str):
    ch = effects(action, facts(status, accepted=True), timing(clock_start_on=RECEIVED), MON, CAL)
    assert ch.opens_pause == Pause(MON, None, kind)  # type: ignore[arg-type]
    assert ch.timing.due_on is None and ch.act_by == NO_DEADLINE


def test_ending_a_pause_moves_the_due_date_by_the_paused_working_days():
    start = date(2026, 10, 19)
    t = timing(clock_start_on=start, pauses=(Pause(date(2026, 10, 26), None, "special_procedure"),))
    ch = effects(A.END_SPECIAL, facts(S.SPECIAL_PROCEDURE, accepted=True), t, MON, CAL)
    assert ch.closes_pause and ch.timing.pauses[0].end == MON
    unpaused = effects(A.ACCEPT, facts(S.RECEIVED), timing(), start, CAL).timing.due_on
    assert ch.timing.due_on == CAL.add_working_days(unpaused, 5)  # 27 Oct .. 2 Nov


def test_closing_cancels_open_subtasks_and_closes_the_open_pause():
    tasks = (SubTaskFacts(1, 5, SubTaskStatus.SENT), SubTaskFacts(2, 6, SubTaskStatus.DONE))
    c = facts(S.SUPPLEMENT_REQUESTED, accepted=True, mode=HandlingMode.JOINT, subtasks=tasks)
    t = timing(clock_start_on=RECEIVED, pauses=(Pause(MON, None, "supplement"),))
    ch = effects(A.WITHDRAW, c, t, MON, CAL)
    assert ch.status is S.WITHDRAWN and "completed_at" in ch.stamps
    assert ch.closes_pause and ch.cancels_subtasks and ch.act_by is None
    after = facts_after(c, A.WITHDRAW, ch)
    assert [x.status for x in after.subtasks] == [SubTaskStatus.CANCELLED, SubTaskStatus.DONE]


def test_extension_request_is_bounded_by_the_statutory_limit_and_granted_days_add_up():
    c = facts(S.PROCESSING, accepted=True)
    with pytest.raises(DomainError):
        effects(A.REQUEST_EXTENSION, c, timing(clock_start_on=MON), MON, CAL, {"days": 21})
    with pytest.raises(DomainError):
        effects(A.REQUEST_EXTENSION, c, timing(clock_start_on=MON), MON, CAL, {"days": "x"})
    asked = effects(A.REQUEST_EXTENSION, c, timing(clock_start_on=MON), MON, CAL, {"days": 3})
    assert asked.values["extension_requested_days"] == 3
    assert facts_after(c, A.REQUEST_EXTENSION, asked).extension_pending
    granted = effects(
        A.APPROVE_EXTENSION,
        facts(S.PROCESSING, accepted=True, extension_pending=True),
        asked.timing,
        MON,
        CAL,
    )
    assert granted.timing.extension_days == 3 and granted.record == {"days": 3}
    assert granted.timing.due_on == CAL.add_working_days(date(2026, 11, 16), 3)


def test_delivery_method_is_one_of_three():
    done = facts(S.APPROVED, accepted=True)
    with pytest.raises(DomainError):
        effects(A.DELIVER, done, timing(), MON, CAL, {"delivery_method": "pigeon"})
    ch = effects(
        A.DELIVER, done, timing(), MON, CAL, {"delivery_method": "post", "delivery_ref": "EMS1"}
    )
    assert ch.values["delivery_method"] == "post" and "delivered_at" in ch.stamps


def test_forwarding_moves_custody_to_the_competent_office_and_clears_the_assignee():
    c = facts(S.RECEIVED, mode=HandlingMode.ACCEPT_HERE_DECIDE_THERE)
    ch = effects(A.FORWARD, c, timing(), MON, CAL)
    assert ch.values["custody_office_id"] == 2 and ch.values["assignee_id"] is None
    assert facts_after(c, A.FORWARD, ch).custody_office_id == 2


def test_act_by_before_acceptance_is_the_art_32_deadline():
    assert act_by(S.RECEIVED, False, RECEIVED, None, None, CAL) == date(2026, 11, 2)
    assert act_by(S.SUPPLEMENTED, False, RECEIVED, MON, None, CAL) == date(2026, 11, 9)
    assert act_by(S.SUPPLEMENT_REQUESTED, False, RECEIVED, None, None, CAL) == NO_DEADLINE
    assert act_by(S.APPROVED, True, RECEIVED, None, MON, CAL) is None
    # A deadline in a year with no calendar is not guessed.
    assert act_by(S.RECEIVED, False, date(2026, 12, 30), None, None, CAL) == NO_DEADLINE


def test_a_due_date_in_an_unknown_year_stays_pending():
    ch = effects(A.ACCEPT, facts(S.RECEIVED), timing(promised_days=20), date(2026, 12, 21), CAL)
    assert ch.timing.due_on is None and ch.timing.due_pending_year == 2027
    assert ch.act_by == NO_DEADLINE


def test_a_decision_counts_on_time_working_days_and_paused_days():
    t = timing(
        clock_start_on=date(2026, 10, 19),
        due_on=date(2026, 11, 2),
        pauses=(Pause(date(2026, 10, 21), date(2026, 10, 23), "supplement"),),
    )
    c = completion_facts(t, date(2026, 10, 30), CAL)
    assert (c.on_time, c.working_days, c.paused_days) == (True, 7, 2)
    late = {"lateness_code": "workload"}
    ch = effects(A.APPROVE, facts(S.PROCESSING, accepted=True), t, date(2026, 11, 3), CAL, late)
    assert ch.metrics[tp.LATE] == 1 and ch.metrics[tp.APPROVED] == 1


def test_a_late_decision_needs_a_lateness_reason_and_records_it():
    t = timing(clock_start_on=date(2026, 10, 19), due_on=date(2026, 11, 2))
    case = facts(S.PROCESSING, accepted=True)
    for payload, code in (
        ({}, "lateness_code"),
        ({"lateness_code": "not-a-code"}, "lateness_code"),
        ({"lateness_code": "other", "lateness_note": "  "}, "lateness_note"),
    ):
        with pytest.raises(DomainError) as exc:
            effects(A.REFUSE, case, t, date(2026, 11, 3), CAL, payload)
        assert exc.value.code == code
    ch = effects(
        A.REFUSE,
        case,
        t,
        date(2026, 11, 3),
        CAL,
        {"lateness_code": "other", "lateness_note": "停电"},
    )
    assert ch.values["lateness_code"] == "other" and ch.record["lateness_note"] == "停电"
    on_time = effects(A.REFUSE, case, t, date(2026, 11, 2), CAL)
    assert "lateness_code" not in on_time.values


def test_an_extension_is_asked_and_approved_no_later_than_the_due_date():
    t = timing(clock_start_on=date(2026, 10, 19), due_on=date(2026, 11, 2))
    case = facts(S.PROCESSING, accepted=True)
    with pytest.raises(DomainError) as exc:
        effects(A.REQUEST_EXTENSION, case, t, date(2026, 11, 3), CAL, {"days": 2})
    assert exc.value.code == "extension_too_late"
    asked = effects(A.REQUEST_EXTENSION, case, t, date(2026, 11, 2), CAL, {"days": 2})
    assert asked.values["extension_due_on"] == date(2026, 11, 2)
    pending = replace(asked.timing)
    waiting = replace(case, extension_pending=True)
    with pytest.raises(DomainError):
        effects(A.APPROVE_EXTENSION, waiting, pending, date(2026, 11, 3), CAL)
    granted = effects(A.APPROVE_EXTENSION, waiting, pending, date(2026, 11, 2), CAL)
    assert granted.timing.due_on is not None and granted.timing.due_on > date(2026, 11, 2)
