"""Rectification of a bad rating (差评整改, 国办发〔2019〕51号): a small state machine.

A bad rating (:func:`tracker.domain.ratings.is_bad`) opens one item for the rated office, at
:data:`FIRST_STAGE`, due :data:`DEADLINE_WORKING_DAYS` working days later. The item then moves
verify (核实) → rectify (整改) → reply (反馈) → follow-up call (回访) → review (复核) → closed.

Each row of :data:`MOVES` says where a stage goes, who may move it (role, and which party:
the rated office's clerks do 核实, 整改 and 反馈 — the 反馈 note is the reply the applicant
receives — and a supervisor whose regions cover the rated office does 回访 and 复核) and what
must be recorded: a note of what was done in the stage just finished, between ``note_min`` and
``note_max`` characters after :func:`clean_note`. At 回访 or 复核 the supervisor may send the
item back to 整改 (:data:`SEND_BACK`), with a note and a new deadline in working days. ``check``, ``refusal`` and ``next_stage`` read only this table, like the case
workflow (:mod:`tracker.domain.workflow`); the closed stage has no row, so it is final.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from .clock import WorkingDays
from .errors import DomainError, ReasonRequired, TransitionNotAllowed
from .states import Role
from .text import N_, Named
from .workflow import ActorFacts, Party


class RectificationStage(StrEnum):
    VERIFY = "verify"  # 核实
    RECTIFY = "rectify"  # 整改
    REPLY = "reply"  # 反馈
    FOLLOW_UP = "follow_up"  # 回访
    REVIEW = "review"  # 复核
    CLOSED = "closed"

    @property
    def label_zh(self) -> str:
        return STAGE_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return STAGE_LABELS[self][1]

    @property
    def is_final(self) -> bool:
        return self not in MOVES_BY_SOURCE


STAGE_LABELS: dict[RectificationStage, tuple[str, str]] = {
    RectificationStage.VERIFY: ("核实", "Verify"),
    RectificationStage.RECTIFY: ("整改", "Rectify"),
    RectificationStage.REPLY: ("反馈", "Reply"),
    RectificationStage.FOLLOW_UP: ("回访", "Follow-up call"),
    RectificationStage.REVIEW: ("复核", "Review"),
    RectificationStage.CLOSED: ("已办结", "Closed"),
}

FIRST_STAGE = RectificationStage.VERIFY
# Local rules use 5 or 15 working days (PRODUCT.md, "Ratings"); callers may pass another.
DEADLINE_WORKING_DAYS = 5
NOTE_MIN, NOTE_MAX = 4, 1000


@dataclass(frozen=True)
class StageMove:
    source: RectificationStage
    target: RectificationStage
    roles: frozenset[Role]
    party: Party
    note_min: int = NOTE_MIN  # the note says what was done in ``source``
    note_max: int = NOTE_MAX

    @property
    def closes(self) -> bool:
        return self.target.is_final


def _m(source: RectificationStage, target: RectificationStage) -> StageMove:
    return StageMove(source, target, frozenset({Role.SUPERVISOR}), Party.SUPERVISOR)


def _o(source: RectificationStage, target: RectificationStage) -> StageMove:
    return StageMove(source, target, frozenset({Role.CLERK}), Party.RATED_OFFICE)


R = RectificationStage
MOVES: tuple[StageMove, ...] = (
    _o(R.VERIFY, R.RECTIFY),
    _o(R.RECTIFY, R.REPLY),
    _o(R.REPLY, R.FOLLOW_UP),  # the note is the reply to the applicant
    _m(R.FOLLOW_UP, R.REVIEW),
    _m(R.REVIEW, R.CLOSED),
)
MOVES_BY_SOURCE: dict[RectificationStage, StageMove] = {m.source: m for m in MOVES}
# The supervisor sends an item back to the office's 整改 from 回访 or 复核.
SEND_BACK: dict[RectificationStage, StageMove] = {
    s: _m(s, R.RECTIFY) for s in (R.FOLLOW_UP, R.REVIEW)
}
REPLY_STAGE = R.REPLY  # the office's note at this stage is sent to the applicant
OFFICE_STAGES: frozenset[RectificationStage] = frozenset(
    m.source for m in MOVES if m.party is Party.RATED_OFFICE
)
# The stages from first to last, following the table (what a progress bar shows).
STAGE_ORDER: tuple[RectificationStage, ...] = (
    FIRST_STAGE,
    *(m.target for m in MOVES),
)
OPEN_STAGES: frozenset[RectificationStage] = frozenset(MOVES_BY_SOURCE)
# Followed up (跟进): moved past the first stage, closed included.
FOLLOWED_UP_STAGES: frozenset[RectificationStage] = frozenset(RectificationStage) - {FIRST_STAGE}


class RectificationClosed(TransitionNotAllowed):
    code = "closed"


class NoteRequired(ReasonRequired):
    code = "note_required"


class NoteTooLong(DomainError):
    code = "note_too_long"


@dataclass(frozen=True)
class ItemFacts:
    """What the rules need to know about an item; built by the service from the model."""

    stage: RectificationStage
    region_codes: frozenset[str]  # the rated office's region with its ancestors
    office_id: int | None = None  # the rated office


def next_stage(stage: RectificationStage | str) -> RectificationStage | None:
    move = MOVES_BY_SOURCE.get(RectificationStage(stage))
    return None if move is None else move.target


def replied(history: list[dict[str, Any]] | None) -> bool:
    """The office's 反馈 has reached the applicant (at least once, even if the item was sent
    back since): the applicant may then add a follow-up rating."""
    return any(h.get("stage") == REPLY_STAGE.value for h in history or [])


def is_open(stage: RectificationStage | str) -> bool:
    return RectificationStage(stage) in OPEN_STAGES


def deadline(opened_on: date, calendar: WorkingDays, days: int = DEADLINE_WORKING_DAYS) -> date:
    """The day the item is due; raises ``UnknownCalendarYear`` like every legal deadline."""
    return calendar.add_working_days(opened_on, days)


def clean_note(note: str | None) -> str:
    """Whitespace runs made one space; control characters dropped."""
    text = "".join(c for c in (note or "") if c.isprintable() or c in "\n ")
    return " ".join(text.split())


def _party_holds(party: Party, item: ItemFacts, actor: ActorFacts) -> bool:
    if party is Party.SUPERVISOR:
        return actor.region_codes is None or bool(actor.region_codes & item.region_codes)
    if party is Party.RATED_OFFICE:
        return actor.office_id is not None and actor.office_id == item.office_id
    return False


def may_see(item: ItemFacts, actor: ActorFacts) -> bool:
    """A supervisor whose regions cover the rated office, or a clerk of that office; anyone
    else is told nothing."""
    if actor.role is Role.CLERK:
        return _party_holds(Party.RATED_OFFICE, item, actor)
    return actor.role is Role.SUPERVISOR and _party_holds(Party.SUPERVISOR, item, actor)


def refusal(item: ItemFacts, actor: ActorFacts, *, send_back: bool = False) -> str | None:
    """Why ``actor`` may not move ``item`` on (or send it back) now (Chinese), or None."""
    if send_back:
        back = SEND_BACK.get(item.stage)
        if back is None:
            return N_("当前阶段不能退回整改")
        if actor.role not in back.roles or not _party_holds(back.party, item, actor):
            return N_("无权退回该整改事项")
        return None
    move = MOVES_BY_SOURCE.get(item.stage)
    if move is None:
        return N_("该整改事项已办结")
    if actor.role not in move.roles:
        return N_(
            "当前身份不能推进“%(stage)s”阶段",
            stage=Named(item.stage.label_zh, item.stage.label_en),
        )
    if not _party_holds(move.party, item, actor):
        return N_("无权推进该整改事项")
    return None


def check(
    item: ItemFacts, actor: ActorFacts, note: str | None, *, send_back: bool = False
) -> tuple[StageMove, str]:
    """The move (or the send-back) and the cleaned note to record, or a domain error that
    says why not."""
    why = refusal(item, actor, send_back=send_back)
    if why is not None:
        if item.stage.is_final:
            raise RectificationClosed(why)
        raise TransitionNotAllowed(why)
    move = SEND_BACK[item.stage] if send_back else MOVES_BY_SOURCE[item.stage]
    text = clean_note(note)
    if len(text) < move.note_min:
        raise NoteRequired(N_("请填写本阶段的处理情况（至少%(n)s个字）", n=move.note_min))
    if len(text) > move.note_max:
        raise NoteTooLong(N_("处理情况不超过%(n)s个字", n=move.note_max))
    return move, text


def history_entry(move: StageMove, note: str, by: str, by_id: int, at: datetime) -> dict[str, Any]:
    """What one move appends to the item's history (stored as JSON)."""
    return {
        "stage": move.source.value,
        "to": move.target.value,
        "note": note,
        "by": by,
        "by_id": by_id,
        "at": at.isoformat(),
    }
