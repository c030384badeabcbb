"""The case workflow: one transition table for the three handling modes.

Each row says which states an action leaves from, where it goes, who may make it (role and
which party to the case), whether a reason is required, and which named guards must hold.
``available_actions`` and ``check`` read only this table, so the buttons a clerk sees and the
rules the services enforce cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from .actions import ACTION_LABELS as ACTION_LABELS
from .actions import Action as Action
from .errors import ReasonRequired, TransitionNotAllowed
from .states import (
    CLOSED_STATES,
    COMPLETED_STATES,
    OPEN_STATES,
    CaseStatus,
    HandlingMode,
    Role,
    SubTaskStatus,
)
from .text import N_, Named

S = CaseStatus


class Party(StrEnum):
    """Who, relative to the case, may make a move."""

    APPLICANT = "applicant"
    INTAKE_OFFICE = (
        "intake_office"  # holds custody and is not the competent office (before forwarding)
    )
    DECIDING_OFFICE = "deciding_office"  # holds custody and is the competent office
    HOLDING_OFFICE = "holding_office"  # whichever office holds custody
    CASE_OFFICE = "case_office"  # the receiving or the competent office
    COOPERATING_OFFICE = "cooperating_office"  # the office a sub-task was sent to
    LEAD_OFFICE = "lead_office"  # the office that sent the sub-task (holds the case)
    SUPERVISOR = "supervisor"  # a supervisor whose regions cover the case
    RATED_OFFICE = "rated_office"  # a clerk of the office a bad rating was given to
    SYSTEM = "system"


@dataclass(frozen=True)
class SubTaskFacts:
    id: int
    office_id: int
    status: SubTaskStatus
    was_accepted: bool = False  # the cooperating office accepted it at some point


@dataclass(frozen=True)
class CaseFacts:
    """What the rules need to know about a case; built by the services from the model."""

    status: CaseStatus
    mode: HandlingMode
    applicant_id: int
    receiving_office_id: int
    competent_office_id: int
    custody_office_id: int
    accepted: bool = False
    checks: frozenset[Action] = frozenset()  # FORMAL_CHECK / IDENTITY_CHECK recorded
    subtasks: tuple[SubTaskFacts, ...] = ()
    extension_pending: bool = False
    delivered: bool = False
    region_codes: frozenset[str] = frozenset()  # regions (with ancestors) of its offices


@dataclass(frozen=True)
class ActorFacts:
    role: Role
    user_id: int | None = None
    office_id: int | None = None
    region_codes: frozenset[str] | None = None  # supervisors: None means every region


def _pre_acceptance(c: CaseFacts) -> bool:
    return not c.accepted


def _post_acceptance(c: CaseFacts) -> bool:
    return c.accepted


def _needs_forward(c: CaseFacts) -> bool:
    return c.custody_office_id != c.competent_office_id


def _checks_done(c: CaseFacts) -> bool:
    return {Action.FORMAL_CHECK, Action.IDENTITY_CHECK} <= c.checks


def _formal_check_pending(c: CaseFacts) -> bool:
    return Action.FORMAL_CHECK not in c.checks


def _identity_check_pending(c: CaseFacts) -> bool:
    return Action.IDENTITY_CHECK not in c.checks


def _subtasks_done(c: CaseFacts) -> bool:
    if c.mode is not HandlingMode.JOINT:
        return True
    live = [t for t in c.subtasks if t.status is not SubTaskStatus.CANCELLED]
    return bool(live) and all(t.status is SubTaskStatus.DONE for t in live)


def _no_subtasks_yet(c: CaseFacts) -> bool:
    return not any(t.status is not SubTaskStatus.CANCELLED for t in c.subtasks)


def _extension_pending(c: CaseFacts) -> bool:
    return c.extension_pending


def _no_extension_pending(c: CaseFacts) -> bool:
    return not c.extension_pending


def _not_delivered(c: CaseFacts) -> bool:
    return not c.delivered


@dataclass(frozen=True)
class Guard:
    name: str
    test: Callable[[CaseFacts], bool]
    refusal_zh: str


GUARDS: dict[str, Guard] = {
    g.name: g
    for g in (
        Guard("pre_acceptance", _pre_acceptance, N_("办件已受理")),
        Guard("post_acceptance", _post_acceptance, N_("办件尚未受理")),
        Guard("needs_forward", _needs_forward, N_("办件已在办理地，无需转办")),
        Guard("checks_done", _checks_done, N_("转办前须完成形式审查和身份核验")),
        Guard("formal_check_pending", _formal_check_pending, N_("形式审查已完成")),
        Guard("identity_check_pending", _identity_check_pending, N_("身份核验已完成")),
        Guard("subtasks_done", _subtasks_done, N_("多地联办：各协办部门的任务尚未全部完成")),
        Guard("no_subtasks_yet", _no_subtasks_yet, N_("协办任务已发出")),
        Guard("extension_pending", _extension_pending, N_("没有待审批的延期申请")),
        Guard("no_extension_pending", _no_extension_pending, N_("已有延期申请待审批")),
        Guard("not_delivered", _not_delivered, N_("结果已送达")),
    )
}


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[CaseStatus]
    target: CaseStatus | None  # None: the state does not change (an event only)
    roles: frozenset[Role]
    party: Party
    reason_required: bool = False
    guards: tuple[str, ...] = ()
    modes: frozenset[HandlingMode] = frozenset(HandlingMode)


def _t(
    action: Action,
    sources: Iterable[CaseStatus],
    target: CaseStatus | None,
    role: Role,
    party: Party,
    *,
    reason: bool = False,
    guards: tuple[str, ...] = (),
    modes: Iterable[HandlingMode] = tuple(HandlingMode),
) -> Transition:
    return Transition(
        action,
        frozenset(sources),
        target,
        frozenset({role}),
        party,
        reason,
        guards,
        frozenset(modes),
    )


CITIZEN, CLERK, SUPERVISOR, SYSTEM = Role.CITIZEN, Role.CLERK, Role.SUPERVISOR, Role.SYSTEM
_BEFORE_DECISION = {S.ACCEPTED, S.SUPPLEMENTED, S.PROCESSING, S.SPECIAL_PROCEDURE_ENDED}
_AHDT = (HandlingMode.ACCEPT_HERE_DECIDE_THERE,)

TRANSITIONS: tuple[Transition, ...] = (
    # Intake at the receiving office (accept here, decide there).
    # ACCEPTED too: a case deemed accepted (Art. 32) while still at the intake office must
    # still be checked and forwarded; the INTAKE_OFFICE party limits these to before forwarding.
    _t(
        Action.FORMAL_CHECK,
        {S.RECEIVED, S.SUPPLEMENTED, S.ACCEPTED},
        None,
        CLERK,
        Party.INTAKE_OFFICE,
        guards=("formal_check_pending",),
        modes=_AHDT,
    ),
    _t(
        Action.IDENTITY_CHECK,
        {S.RECEIVED, S.SUPPLEMENTED, S.ACCEPTED},
        None,
        CLERK,
        Party.INTAKE_OFFICE,
        guards=("identity_check_pending",),
        modes=_AHDT,
    ),
    _t(
        Action.FORWARD,
        {S.RECEIVED, S.SUPPLEMENTED, S.ACCEPTED},
        None,
        CLERK,
        Party.INTAKE_OFFICE,
        guards=("needs_forward", "checks_done"),
        modes=_AHDT,
    ),
    # Acceptance (受理) by the office with the power to decide.
    _t(
        Action.ACCEPT,
        {S.RECEIVED, S.SUPPLEMENTED},
        S.ACCEPTED,
        CLERK,
        Party.DECIDING_OFFICE,
        guards=("pre_acceptance",),
    ),
    _t(
        Action.DEEM_ACCEPTED,
        {S.RECEIVED, S.SUPPLEMENTED},
        S.ACCEPTED,
        SYSTEM,
        Party.SYSTEM,
        guards=("pre_acceptance",),
    ),
    _t(
        Action.REJECT,
        {S.RECEIVED, S.SUPPLEMENTED},
        S.NOT_ACCEPTED,
        CLERK,
        Party.DECIDING_OFFICE,
        reason=True,
        guards=("pre_acceptance",),
    ),
    # One-time notice of supplements (补正); the intake office may ask too (formal check).
    _t(
        Action.REQUEST_SUPPLEMENT,
        {S.RECEIVED, S.SUPPLEMENTED} | _BEFORE_DECISION,
        S.SUPPLEMENT_REQUESTED,
        CLERK,
        Party.HOLDING_OFFICE,
        reason=True,
    ),
    _t(
        Action.SUBMIT_SUPPLEMENT, {S.SUPPLEMENT_REQUESTED}, S.SUPPLEMENTED, CITIZEN, Party.APPLICANT
    ),
    # Processing by the competent office.
    _t(
        Action.START_PROCESSING,
        {S.ACCEPTED, S.SUPPLEMENTED, S.SPECIAL_PROCEDURE_ENDED},
        S.PROCESSING,
        CLERK,
        Party.DECIDING_OFFICE,
        guards=("post_acceptance",),
    ),
    _t(
        Action.SEND_CONTACT_LETTERS,
        {S.PROCESSING},
        None,
        CLERK,
        Party.DECIDING_OFFICE,
        guards=("no_subtasks_yet",),
        modes=(HandlingMode.JOINT,),
    ),
    _t(
        Action.START_SPECIAL,
        {S.PROCESSING, S.ACCEPTED},
        S.SPECIAL_PROCEDURE,
        CLERK,
        Party.DECIDING_OFFICE,
        reason=True,
        guards=("post_acceptance",),
    ),
    _t(
        Action.END_SPECIAL,
        {S.SPECIAL_PROCEDURE},
        S.SPECIAL_PROCEDURE_ENDED,
        CLERK,
        Party.DECIDING_OFFICE,
    ),
    _t(
        Action.REQUEST_EXTENSION,
        _BEFORE_DECISION | {S.SPECIAL_PROCEDURE},
        None,
        CLERK,
        Party.DECIDING_OFFICE,
        reason=True,
        guards=("post_acceptance", "no_extension_pending"),
    ),
    _t(
        Action.APPROVE_EXTENSION,
        _BEFORE_DECISION | {S.SPECIAL_PROCEDURE},
        None,
        SUPERVISOR,
        Party.SUPERVISOR,
        reason=True,
        guards=("extension_pending",),
    ),
    _t(
        Action.REFUSE_EXTENSION,
        _BEFORE_DECISION | {S.SPECIAL_PROCEDURE},
        None,
        SUPERVISOR,
        Party.SUPERVISOR,
        reason=True,
        guards=("extension_pending",),
    ),
    # Decision (办结).
    _t(
        Action.APPROVE,
        _BEFORE_DECISION,
        S.APPROVED,
        CLERK,
        Party.DECIDING_OFFICE,
        guards=("post_acceptance", "subtasks_done"),
    ),
    _t(
        Action.APPROVE_TOLERATED,
        _BEFORE_DECISION,
        S.APPROVED_TOLERATED,
        CLERK,
        Party.DECIDING_OFFICE,
        reason=True,
        guards=("post_acceptance", "subtasks_done"),
    ),
    _t(
        Action.REFUSE,
        _BEFORE_DECISION,
        S.REFUSED,
        CLERK,
        Party.DECIDING_OFFICE,
        reason=True,
        guards=("post_acceptance",),
    ),
    # Delivery of a decision (a refusal to accept too: it carries the appeal rights).
    _t(
        Action.DELIVER,
        COMPLETED_STATES | {S.NOT_ACCEPTED},
        None,
        CLERK,
        Party.CASE_OFFICE,
        guards=("not_delivered",),
    ),
    # The applicant steps back; the office cancels.
    _t(
        Action.RETRACT,
        {S.RECEIVED, S.SUPPLEMENT_REQUESTED, S.SUPPLEMENTED},
        S.RETRACTED,
        CITIZEN,
        Party.APPLICANT,
        reason=True,
        guards=("pre_acceptance",),
    ),
    _t(
        Action.WITHDRAW,
        _BEFORE_DECISION | {S.SUPPLEMENT_REQUESTED, S.SPECIAL_PROCEDURE},
        S.WITHDRAWN,
        CITIZEN,
        Party.APPLICANT,
        reason=True,
        guards=("post_acceptance",),
    ),
    _t(Action.CANCEL, OPEN_STATES, S.CANCELLED, CLERK, Party.HOLDING_OFFICE, reason=True),
)

TRANSITIONS_BY_ACTION: dict[Action, Transition] = {t.action: t for t in TRANSITIONS}
CASE_ACTIONS: frozenset[Action] = frozenset(TRANSITIONS_BY_ACTION)


def _party_holds(party: Party, case: CaseFacts, actor: ActorFacts) -> bool:
    office = actor.office_id
    if party is Party.APPLICANT:
        return actor.user_id is not None and actor.user_id == case.applicant_id
    if party is Party.SYSTEM:
        return True
    if party is Party.SUPERVISOR:
        return actor.region_codes is None or bool(actor.region_codes & case.region_codes)
    if office is None:
        return False
    if party is Party.HOLDING_OFFICE:
        return office == case.custody_office_id
    if party is Party.INTAKE_OFFICE:
        return office == case.custody_office_id and office != case.competent_office_id
    if party is Party.DECIDING_OFFICE:
        return office == case.custody_office_id == case.competent_office_id
    if party is Party.CASE_OFFICE:
        return office in (case.receiving_office_id, case.competent_office_id)
    return False  # sub-task parties are checked by check_subtask


def _named(x: Action | CaseStatus) -> Named:
    return Named(x.label_zh, x.label_en)


def refusal(action: Action, case: CaseFacts, actor: ActorFacts) -> str | None:
    """Why ``actor`` may not make ``action`` on ``case`` now (Chinese), or None when allowed."""
    t = TRANSITIONS_BY_ACTION.get(action)
    if t is None:
        return N_("“%(action)s”不是办件流转操作", action=_named(action))
    if case.status in CLOSED_STATES and (t.target is not None or case.status not in t.sources):
        # A closed case never changes state; delivering the decision is recorded beside it.
        return N_(
            "办件已%(status)s，不能再%(action)s",
            status=_named(case.status),
            action=_named(action),
        )
    if case.mode not in t.modes:
        return N_("本事项的办理方式不适用“%(action)s”", action=_named(action))
    if case.status not in t.sources:
        return N_(
            "办件当前状态为“%(status)s”，不能%(action)s",
            status=_named(case.status),
            action=_named(action),
        )
    if actor.role not in t.roles:
        return N_("当前身份不能%(action)s", action=_named(action))
    if not _party_holds(t.party, case, actor):
        return N_("无权对该办件执行“%(action)s”", action=_named(action))
    for name in t.guards:
        guard = GUARDS[name]
        if not guard.test(case):
            return guard.refusal_zh
    return None


def can(action: Action, case: CaseFacts, actor: ActorFacts) -> bool:
    return refusal(action, case, actor) is None


def check(
    action: Action, case: CaseFacts, actor: ActorFacts, reason: str | None = None
) -> Transition:
    """Return the transition for this move, or raise a domain error that says why not."""
    why = refusal(action, case, actor)
    if why is not None:
        raise TransitionNotAllowed(why)
    t = TRANSITIONS_BY_ACTION[action]
    if t.reason_required and not (reason or "").strip():
        raise ReasonRequired(N_("“%(action)s”须填写理由", action=_named(action)))
    return t


def next_status(action: Action, case: CaseFacts) -> CaseStatus:
    t = TRANSITIONS_BY_ACTION[action]
    return case.status if t.target is None else t.target


def available_actions(case: CaseFacts, actor: ActorFacts) -> list[Action]:
    """The case actions ``actor`` may make now, in table order (the buttons a page shows)."""
    return [t.action for t in TRANSITIONS if refusal(t.action, case, actor) is None]


@dataclass(frozen=True)
class WorkflowGraph:
    """The whole table, for docs and the state-machine tests."""

    edges: tuple[tuple[CaseStatus, Action, CaseStatus], ...] = field(
        default_factory=lambda: tuple(
            (src, t.action, t.target or src) for t in TRANSITIONS for src in sorted(t.sources)
        )
    )
