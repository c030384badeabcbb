"""Rectification of bad ratings (PRODUCT.md "Ratings"), the rating scale, and the case predicates.

The expected tables below are written out by hand, not read from ``MOVES``: changing a stage,
its order, who may move it or the note bounds makes these tests fail.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tracker.domain import rectification as rules
from tracker.domain.calendar import WorkingCalendar
from tracker.domain.errors import DomainError, TransitionNotAllowed
from tracker.domain.ratings import (
    BAD_SCORES,
    SCORES,
    is_bad,
    is_valid_score,
    score_label_en,
    score_label_zh,
)
from tracker.domain.rectification import (
    ItemFacts,
    NoteRequired,
    NoteTooLong,
    RectificationClosed,
    RectificationStage,
)
from tracker.domain.regions import region_lineage
from tracker.domain.states import (
    CaseStatus,
    DeliveryMethod,
    Role,
    is_closed,
    is_completed,
    is_paused,
)
from tracker.domain.workflow import ActorFacts

R = RectificationStage
S = CaseStatus
CHENGDU_OFFICE = region_lineage("510104")  # 锦江区, in 成都市 (510100), in 四川省 (510000)
NOTE = "电话核实：等待时间确实较长"

# stage value, 中文, English, the next stage (None: final)
STAGES = [
    ("verify", "核实", "Verify", R.RECTIFY),
    ("rectify", "整改", "Rectify", R.REPLY),
    ("reply", "反馈", "Reply", R.FOLLOW_UP),
    ("follow_up", "回访", "Follow-up call", R.REVIEW),
    ("review", "复核", "Review", R.CLOSED),
    ("closed", "已办结", "Closed", None),
]
OPEN = [R(value) for value, *_ in STAGES[:-1]]
OFFICE_STAGES = [R.VERIFY, R.RECTIFY, R.REPLY]  # the rated office: 核实, 整改, 反馈
SUPERVISOR_STAGES = [R.FOLLOW_UP, R.REVIEW]  # supervision: 回访, 复核
RATED_OFFICE = 1


def item(stage: RectificationStage, regions: frozenset[str] = CHENGDU_OFFICE) -> ItemFacts:
    return ItemFacts(stage=stage, region_codes=regions, office_id=RATED_OFFICE)


def office_clerk(office_id: int = RATED_OFFICE) -> ActorFacts:
    return ActorFacts(role=Role.CLERK, user_id=3, office_id=office_id)


def mover(stage: RectificationStage) -> ActorFacts:
    """Who moves ``stage`` on: the rated office's clerk, or a supervisor."""
    return office_clerk() if stage in OFFICE_STAGES else supervisor(None)


def supervisor(scope: str | None) -> ActorFacts:
    return ActorFacts(
        role=Role.SUPERVISOR, user_id=7, region_codes=None if scope is None else frozenset({scope})
    )


# ---- the stages and their order ------------------------------------------------------------


def test_stages_are_stored_by_these_values_in_this_order():
    assert [s.value for s in RectificationStage] == [value for value, *_ in STAGES]
    assert [s.value for s in rules.STAGE_ORDER] == [value for value, *_ in STAGES]
    assert rules.FIRST_STAGE is R.VERIFY


@pytest.mark.parametrize(("value", "zh", "en", "after"), STAGES)
def test_each_stage_has_its_labels_and_its_next_stage(value, zh, en, after):
    stage = RectificationStage(value)
    assert (stage.label_zh, stage.label_en) == (zh, en)
    assert rules.next_stage(stage) is after
    assert rules.next_stage(value) is after  # the stored string works too
    assert stage.is_final is (after is None)
    assert rules.is_open(stage) is (after is not None)


def test_followed_up_means_moved_past_verification():
    followed_up = rules.FOLLOWED_UP_STAGES
    assert followed_up == {R.RECTIFY, R.REPLY, R.FOLLOW_UP, R.REVIEW, R.CLOSED}


# ---- who may move an item ------------------------------------------------------------------


@pytest.mark.parametrize("stage", SUPERVISOR_STAGES)
@pytest.mark.parametrize("scope", [None, "510000", "510100", "510104"])
def test_a_supervisor_whose_region_covers_the_office_does_follow_up_and_review(stage, scope):
    actor = supervisor(scope)
    assert rules.may_see(item(stage), actor)
    assert rules.refusal(item(stage), actor) is None
    move, text = rules.check(item(stage), actor, NOTE)
    assert (move.source, move.target, text) == (stage, rules.next_stage(stage), NOTE)
    assert move.closes is (move.target is R.CLOSED)


@pytest.mark.parametrize("stage", OFFICE_STAGES)
def test_the_rated_office_verifies_rectifies_and_replies(stage):
    actor = office_clerk()
    assert rules.may_see(item(stage), actor)
    assert rules.refusal(item(stage), actor) is None
    move, text = rules.check(item(stage), actor, NOTE)
    assert (move.source, move.target, text) == (stage, rules.next_stage(stage), NOTE)
    # the supervisor sees the item but waits for the office
    assert rules.may_see(item(stage), supervisor(None))
    with pytest.raises(TransitionNotAllowed):
        rules.check(item(stage), supervisor(None), NOTE)


@pytest.mark.parametrize("stage", SUPERVISOR_STAGES)
def test_the_rated_office_does_not_do_supervisions_stages(stage):
    with pytest.raises(TransitionNotAllowed):
        rules.check(item(stage), office_clerk(), NOTE)


@pytest.mark.parametrize("stage", SUPERVISOR_STAGES)
def test_the_supervisor_may_send_an_item_back_to_rectification(stage):
    move, text = rules.check(item(stage), supervisor("510000"), NOTE, send_back=True)
    assert (move.source, move.target, text) == (stage, R.RECTIFY, NOTE)
    assert not move.closes
    with pytest.raises(TransitionNotAllowed):
        rules.check(item(stage), office_clerk(), NOTE, send_back=True)
    with pytest.raises(TransitionNotAllowed):
        rules.check(item(stage), supervisor("500000"), NOTE, send_back=True)


@pytest.mark.parametrize("stage", [*OFFICE_STAGES, R.CLOSED])
def test_nothing_is_sent_back_from_the_offices_stages_or_closed(stage):
    assert rules.refusal(item(stage), supervisor(None), send_back=True) is not None


@pytest.mark.parametrize("stage", OPEN)
@pytest.mark.parametrize("scope", ["500000", "500112", "510700"])
def test_a_supervisor_of_another_region_may_neither_see_nor_move(stage, scope):
    actor = supervisor(scope)
    assert not rules.may_see(item(stage), actor)
    assert rules.refusal(item(stage), actor) is not None
    if stage in SUPERVISOR_STAGES:
        assert rules.refusal(item(stage), actor) == "无权推进该整改事项"
    with pytest.raises(TransitionNotAllowed):
        rules.check(item(stage), actor, NOTE)


@pytest.mark.parametrize("stage", OPEN)
@pytest.mark.parametrize(
    "actor",
    [
        ActorFacts(role=Role.CITIZEN, user_id=1, office_id=RATED_OFFICE),
        ActorFacts(role=Role.ADMIN, user_id=1, office_id=RATED_OFFICE),
        ActorFacts(role=Role.SYSTEM, user_id=1, office_id=RATED_OFFICE),
        office_clerk(2),  # a clerk of another office
    ],
)
def test_nobody_but_the_rated_office_and_a_supervisor_moves_an_item(stage, actor):
    assert not rules.may_see(item(stage), actor)
    why = rules.refusal(item(stage), actor)
    assert why is not None
    with pytest.raises(TransitionNotAllowed) as exc:
        rules.check(item(stage), actor, NOTE)
    assert exc.value.code == "transition_not_allowed"


# ---- what must be recorded -----------------------------------------------------------------


@pytest.mark.parametrize("stage", OPEN)
@pytest.mark.parametrize(
    ("note", "recorded"),
    [
        ("核实属实", "核实属实"),  # 4 characters: the least
        ("  已调整\n\n窗口   排班 ", "已调整 窗口 排班"),  # whitespace runs made one space
        ("已\x00调整排班", "已调整排班"),  # control characters dropped
        ("字" * 1000, "字" * 1000),  # the most
    ],
)
def test_a_note_of_4_to_1000_characters_is_recorded_cleaned(stage, note, recorded):
    _, text = rules.check(item(stage), mover(stage), note)
    assert text == recorded


@pytest.mark.parametrize("stage", OPEN)
@pytest.mark.parametrize("note", [None, "", "   ", "核实了", " 核 实 \n", "\x00\x01\x02\x03"])
def test_a_note_shorter_than_4_characters_is_refused(stage, note):
    with pytest.raises(NoteRequired) as exc:
        rules.check(item(stage), mover(stage), note)
    assert exc.value.code == "note_required"
    assert exc.value.message == "请填写本阶段的处理情况（至少4个字）"


@pytest.mark.parametrize("stage", OPEN)
def test_a_note_longer_than_1000_characters_is_refused(stage):
    with pytest.raises(NoteTooLong) as exc:
        rules.check(item(stage), mover(stage), "字" * 1001)
    assert exc.value.code == "note_too_long"
    assert exc.value.message == "处理情况不超过1000个字"


def test_every_move_records_a_note_of_the_same_bounds():
    assert [(m.source, m.note_min, m.note_max) for m in rules.MOVES] == [
        (stage, 4, 1000) for stage in OPEN
    ]
    assert [m.roles for m in rules.MOVES] == [
        {Role.CLERK} if m.source in OFFICE_STAGES else {Role.SUPERVISOR} for m in rules.MOVES
    ]


def test_a_move_appends_what_was_done_by_whom_and_when():
    move, text = rules.check(item(R.REVIEW), supervisor("510000"), NOTE)
    at = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    assert rules.history_entry(move, text, "sup.sc", 7, at) == {
        "stage": "review",
        "to": "closed",
        "note": NOTE,
        "by": "sup.sc",
        "by_id": 7,
        "at": "2026-11-02T02:00:00+00:00",
    }


# ---- closed is final -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "actor", [supervisor(None), supervisor("510000"), ActorFacts(role=Role.CLERK, office_id=1)]
)
@pytest.mark.parametrize("note", [NOTE, ""])
def test_a_closed_item_never_moves(actor, note):
    closed = item(R.CLOSED)
    assert rules.refusal(closed, actor) == "该整改事项已办结"
    with pytest.raises(RectificationClosed) as exc:
        rules.check(closed, actor, note)
    assert exc.value.code == "closed" and isinstance(exc.value, DomainError)


def test_walking_the_table_from_the_first_stage_visits_every_stage_once_and_ends_closed():
    stage, seen = rules.FIRST_STAGE, []
    while stage is not None:
        seen.append(stage)
        stage = rules.next_stage(stage)
    assert seen == list(RectificationStage)


# ---- deadline ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opened", "days", "due"),
    [
        (date(2026, 11, 2), rules.DEADLINE_WORKING_DAYS, date(2026, 11, 9)),  # Monday → Monday
        # National Day 2026: 10-01…10-07 off, Saturday 10-10 worked.
        (date(2026, 9, 30), 5, date(2026, 10, 13)),
        (date(2026, 11, 2), 15, date(2026, 11, 23)),  # the other local rule
    ],
)
def test_the_deadline_counts_working_days(opened, days, due):
    assert rules.DEADLINE_WORKING_DAYS == 5
    assert rules.deadline(opened, WorkingCalendar(), days) == due


# ---- the rating scale ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "zh", "en", "bad"),
    [
        (5, "非常满意", "Very satisfied", False),
        (4, "满意", "Satisfied", False),
        (3, "基本满意", "Fairly satisfied", False),
        (2, "不满意", "Dissatisfied", True),
        (1, "非常不满意", "Very dissatisfied", True),
    ],
)
def test_scores_their_labels_and_which_are_bad(score, zh, en, bad):
    assert is_valid_score(score)
    assert (score_label_zh(score), score_label_en(score)) == (zh, en)
    assert is_bad(score) is bad


def test_the_scale_is_1_to_5_best_first():
    assert SCORES == (5, 4, 3, 2, 1)
    assert BAD_SCORES == (2, 1)
    assert not any(is_valid_score(s) or is_bad(s) for s in (-1, 0, 6))


# ---- case predicates and delivery methods --------------------------------------------------


@pytest.mark.parametrize("status", list(CaseStatus))
def test_paused_completed_and_closed(status):
    assert is_paused(status) is (status in {S.SUPPLEMENT_REQUESTED, S.SPECIAL_PROCEDURE})
    assert is_completed(status) is (status in {S.APPROVED, S.APPROVED_TOLERATED, S.REFUSED})
    assert is_closed(status) is (status.code in {2, 5, 11, 12, 13, 14, 15})
    assert is_paused(status.value) is is_paused(status)  # a stored string asks the same


def test_delivery_methods_are_stored_by_these_values():
    assert [(m.value, m.label_zh, m.label_en) for m in DeliveryMethod] == [
        ("online", "网上送达", "Online"),
        ("post", "邮寄送达", "By post"),
        ("counter", "窗口领取", "Collected at the counter"),
    ]
