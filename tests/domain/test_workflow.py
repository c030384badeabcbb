"""The case workflow (PRODUCT.md "Handling modes" and "Case states"): who may move a case, when.

Four layers:

1. tests generated from ``TRANSITIONS`` itself, so a new row is covered the day it is added:
   every row allowed for its party, and refused for a wrong role, a wrong party, a state outside
   its sources, each guard false, a mode it does not serve, and a missing reason;
2. hand-written tables of the product rules that do not read ``TRANSITIONS``;
3. the sub-task table of joint handling (多地联办);
4. a Hypothesis state machine and an exhaustive walk over the pure domain, updating a model case
   the way ``tracker.services.cases`` does.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from tracker.domain.calendar import WorkingCalendar
from tracker.domain.effects import Timing, effects, facts_after
from tracker.domain.errors import ReasonRequired, TransitionNotAllowed
from tracker.domain.offices import OfficeChoiceError, OfficeFacts, check_office_choice
from tracker.domain.states import (
    CLOSED_STATES,
    OPEN_STATES,
    STATUS_TABLE,
    CaseStatus,
    ClockEffect,
    HandlingMode,
    Role,
    SubTaskStatus,
    status_by_code,
)
from tracker.domain.subtasks import SUBTASK_TRANSITIONS, available_subtask_actions, check_subtask
from tracker.domain.workflow import (
    CASE_ACTIONS,
    GUARDS,
    TRANSITIONS,
    TRANSITIONS_BY_ACTION,
    Action,
    ActorFacts,
    CaseFacts,
    Party,
    SubTaskFacts,
    Transition,
    WorkflowGraph,
    available_actions,
    can,
    check,
    next_status,
)

S = CaseStatus
T = SubTaskStatus
A = Action
ONLINE = HandlingMode.FULLY_ONLINE
AHDT = HandlingMode.ACCEPT_HERE_DECIDE_THERE
JOINT = HandlingMode.JOINT
MODES = (ONLINE, AHDT, JOINT)

# ---- people and offices --------------------------------------------------------------------

APPLICANT_ID, OTHER_CITIZEN_ID = 1, 2
RECEIVING, COMPETENT, COOP_A, COOP_B, OTHER_OFFICE = 10, 20, 30, 31, 99
# 锦江区 (receiving) and 渝北区 (competent) with their prefecture and province codes.
CASE_REGIONS = frozenset({"510104", "510100", "510000", "500112", "500100", "500000"})

APPLICANT = ActorFacts(Role.CITIZEN, user_id=APPLICANT_ID)
OTHER_CITIZEN = ActorFacts(Role.CITIZEN, user_id=OTHER_CITIZEN_ID)
ANONYMOUS_CITIZEN = ActorFacts(Role.CITIZEN)
RECEIVING_CLERK = ActorFacts(Role.CLERK, user_id=110, office_id=RECEIVING)
COMPETENT_CLERK = ActorFacts(Role.CLERK, user_id=120, office_id=COMPETENT)
COOP_A_CLERK = ActorFacts(Role.CLERK, user_id=130, office_id=COOP_A)
COOP_B_CLERK = ActorFacts(Role.CLERK, user_id=131, office_id=COOP_B)
OTHER_CLERK = ActorFacts(Role.CLERK, user_id=199, office_id=OTHER_OFFICE)
OFFICELESS_CLERK = ActorFacts(Role.CLERK, user_id=198)
SUPERVISOR_ALL = ActorFacts(Role.SUPERVISOR, user_id=201)  # region_codes None: every region
SUPERVISOR_IN = ActorFacts(Role.SUPERVISOR, user_id=202, region_codes=frozenset({"500000"}))
SUPERVISOR_OUT = ActorFacts(Role.SUPERVISOR, user_id=203, region_codes=frozenset({"530000"}))
SUPERVISOR_NOWHERE = ActorFacts(Role.SUPERVISOR, user_id=204, region_codes=frozenset())
ADMIN = ActorFacts(Role.ADMIN, user_id=301, office_id=COMPETENT)
SYSTEM = ActorFacts(Role.SYSTEM)

ALL_ACTORS: dict[str, ActorFacts] = {
    "applicant": APPLICANT,
    "other_citizen": OTHER_CITIZEN,
    "anonymous_citizen": ANONYMOUS_CITIZEN,
    "receiving_clerk": RECEIVING_CLERK,
    "competent_clerk": COMPETENT_CLERK,
    "coop_a_clerk": COOP_A_CLERK,
    "coop_b_clerk": COOP_B_CLERK,
    "other_clerk": OTHER_CLERK,
    "officeless_clerk": OFFICELESS_CLERK,
    "supervisor_all": SUPERVISOR_ALL,
    "supervisor_in": SUPERVISOR_IN,
    "supervisor_out": SUPERVISOR_OUT,
    "supervisor_nowhere": SUPERVISOR_NOWHERE,
    "admin": ADMIN,
    "system": SYSTEM,
}

CHECKED = frozenset({A.FORMAL_CHECK, A.IDENTITY_CHECK})
FORMAL_ONLY = frozenset({A.FORMAL_CHECK})
IDENTITY_ONLY = frozenset({A.IDENTITY_CHECK})
REASON = "材料不全，请补正"
BLANK_REASONS = (None, "", "   ", "\t\n")
CJK = re.compile(r"[\u4e00-\u9fff]")

# States in which a case has normally been accepted (the builder's default for ``accepted``).
USUALLY_ACCEPTED = frozenset(
    {
        S.ACCEPTED,
        S.PROCESSING,
        S.SPECIAL_PROCEDURE,
        S.SPECIAL_PROCEDURE_ENDED,
        S.APPROVED,
        S.APPROVED_TOLERATED,
        S.REFUSED,
        S.WITHDRAWN,
        S.CANCELLED,
    }
)


# ---- fact builders -------------------------------------------------------------------------


def task(
    status: SubTaskStatus, office: int = COOP_A, *, id: int = 1, was_accepted: bool | None = None
) -> SubTaskFacts:
    if was_accepted is None:
        was_accepted = status in (T.ACCEPTED, T.DONE)
    return SubTaskFacts(id=id, office_id=office, status=status, was_accepted=was_accepted)


def case(
    status: CaseStatus,
    mode: HandlingMode = ONLINE,
    *,
    forwarded: bool = False,
    accepted: bool | None = None,
    checks: frozenset[Action] = frozenset(),
    subtasks: tuple[SubTaskFacts, ...] = (),
    extension_pending: bool = False,
    delivered: bool = False,
) -> CaseFacts:
    """A case filed by APPLICANT_ID.

    Accept-here-decide-there: filed at RECEIVING, decided by COMPETENT, in RECEIVING's custody
    until ``forwarded``. Fully online and joint: filed, held and decided by COMPETENT.
    """
    receiving = RECEIVING if mode is AHDT else COMPETENT
    custody = COMPETENT if mode is not AHDT or forwarded else RECEIVING
    return CaseFacts(
        status=status,
        mode=mode,
        applicant_id=APPLICANT_ID,
        receiving_office_id=receiving,
        competent_office_id=COMPETENT,
        custody_office_id=custody,
        accepted=status in USUALLY_ACCEPTED if accepted is None else accepted,
        checks=checks,
        subtasks=subtasks,
        extension_pending=extension_pending,
        delivered=delivered,
        region_codes=CASE_REGIONS,
    )


def assert_chinese(message: str) -> None:
    assert message.strip(), "a refusal must say why"
    assert CJK.search(message), f"refusals are shown to people in Chinese: {message!r}"


def refusal_message(
    action: Action, c: CaseFacts, actor: ActorFacts, reason: str | None = REASON
) -> str:
    """Assert that ``check`` refuses, the page shows no button, and return the message."""
    with pytest.raises(TransitionNotAllowed) as info:
        check(action, c, actor, reason)
    assert type(info.value) is TransitionNotAllowed
    assert info.value.code == "transition_not_allowed"
    assert_chinese(info.value.message)
    assert not can(action, c, actor)
    assert action not in available_actions(c, actor)
    return info.value.message


def allowed_target(
    action: Action, c: CaseFacts, actor: ActorFacts, reason: str | None = REASON
) -> CaseStatus:
    """Assert that ``check`` allows, the page shows the button, and return the next state."""
    t = check(action, c, actor, reason)
    assert t is TRANSITIONS_BY_ACTION[action]
    assert can(action, c, actor)
    assert action in available_actions(c, actor)
    return next_status(action, c)


def check_allows(action: Action, c: CaseFacts, actor: ActorFacts) -> bool:
    try:
        check(action, c, actor, REASON)
    except TransitionNotAllowed:
        return False
    return True


def subtask_allows(action: Action, c: CaseFacts, t: SubTaskFacts, actor: ActorFacts) -> bool:
    try:
        check_subtask(action, c, t, actor, REASON)
    except TransitionNotAllowed:
        return False
    return True


# ---- 1/2. generated from the table ---------------------------------------------------------
#
# A "setup" is an actor that holds a party, plus whether the case has been forwarded (which
# decides which office holds custody in accept-here-decide-there).

Setup = tuple[str, ActorFacts, bool]


def party_setups(party: Party, mode: HandlingMode) -> list[Setup]:
    ahdt = mode is AHDT
    table: dict[Party, list[Setup]] = {
        Party.APPLICANT: [("applicant", APPLICANT, False)],
        Party.DECIDING_OFFICE: [("competent_clerk", COMPETENT_CLERK, True)],
        Party.INTAKE_OFFICE: [("receiving_clerk", RECEIVING_CLERK, False)] if ahdt else [],
        Party.HOLDING_OFFICE: [("competent_clerk_holding", COMPETENT_CLERK, True)]
        + ([("receiving_clerk_holding", RECEIVING_CLERK, False)] if ahdt else []),
        Party.CASE_OFFICE: [("competent_clerk", COMPETENT_CLERK, True)]
        + ([("receiving_clerk", RECEIVING_CLERK, True)] if ahdt else []),
        Party.SUPERVISOR: [
            ("supervisor_all", SUPERVISOR_ALL, True),
            ("supervisor_in_region", SUPERVISOR_IN, True),
        ],
        Party.SYSTEM: [("system", SYSTEM, False)],
    }
    return table[party]


def wrong_party_setups(party: Party, mode: HandlingMode) -> list[Setup]:
    """Right role, wrong party (another applicant, another office, a region out of scope)."""
    ahdt = mode is AHDT
    table: dict[Party, list[Setup]] = {
        Party.APPLICANT: [
            ("other_citizen", OTHER_CITIZEN, False),
            ("citizen_without_id", ANONYMOUS_CITIZEN, False),
        ],
        Party.DECIDING_OFFICE: [
            ("other_clerk", OTHER_CLERK, True),
            ("officeless_clerk", OFFICELESS_CLERK, True),
            ("coop_clerk", COOP_A_CLERK, True),
        ]
        + (
            [
                ("competent_clerk_before_forwarding", COMPETENT_CLERK, False),
                ("receiving_clerk_before_forwarding", RECEIVING_CLERK, False),
                ("receiving_clerk_after_forwarding", RECEIVING_CLERK, True),
            ]
            if ahdt
            else []
        ),
        Party.INTAKE_OFFICE: [
            ("other_clerk", OTHER_CLERK, False),
            ("officeless_clerk", OFFICELESS_CLERK, False),
            ("competent_clerk_before_forwarding", COMPETENT_CLERK, False),
            ("competent_clerk_after_forwarding", COMPETENT_CLERK, True),
            ("receiving_clerk_after_forwarding", RECEIVING_CLERK, True),
        ],
        Party.HOLDING_OFFICE: [
            ("other_clerk", OTHER_CLERK, True),
            ("officeless_clerk", OFFICELESS_CLERK, True),
            ("coop_clerk", COOP_A_CLERK, True),
        ]
        + (
            [
                ("receiving_clerk_after_forwarding", RECEIVING_CLERK, True),
                ("competent_clerk_before_forwarding", COMPETENT_CLERK, False),
            ]
            if ahdt
            else []
        ),
        Party.CASE_OFFICE: [
            ("other_clerk", OTHER_CLERK, True),
            ("officeless_clerk", OFFICELESS_CLERK, True),
            ("coop_clerk", COOP_A_CLERK, True),
        ]
        + ([] if ahdt else [("receiving_clerk_elsewhere", RECEIVING_CLERK, True)]),
        Party.SUPERVISOR: [
            ("supervisor_out_of_region", SUPERVISOR_OUT, True),
            ("supervisor_without_regions", SUPERVISOR_NOWHERE, True),
        ],
        Party.SYSTEM: [],  # the system is a role, not a party to the case
    }
    return table[party]


# What makes each guard true, and the ways of making it false.
Changes = Callable[[CaseFacts], dict[str, Any]]
JOINT_ALL_DONE = (task(T.DONE, COOP_A, id=1), task(T.CANCELLED, COOP_B, id=2))

SATISFY: dict[str, Changes] = {
    "pre_acceptance": lambda c: {"accepted": False},
    "post_acceptance": lambda c: {"accepted": True},
    "needs_forward": lambda c: {},  # the intake party already means custody ≠ competent
    "checks_done": lambda c: {"checks": CHECKED},
    "formal_check_pending": lambda c: {"checks": c.checks - {A.FORMAL_CHECK}},
    "identity_check_pending": lambda c: {"checks": c.checks - {A.IDENTITY_CHECK}},
    "subtasks_done": lambda c: {"subtasks": JOINT_ALL_DONE if c.mode is JOINT else ()},
    "no_subtasks_yet": lambda c: {"subtasks": ()},
    "extension_pending": lambda c: {"extension_pending": True},
    "no_extension_pending": lambda c: {"extension_pending": False},
    "not_delivered": lambda c: {"delivered": False},
}

# (label, changes, whether the change also takes the party away)
BREAK: dict[str, list[tuple[str, dict[str, Any], bool]]] = {
    "pre_acceptance": [("accepted", {"accepted": True}, False)],
    "post_acceptance": [("not_accepted", {"accepted": False}, False)],
    "needs_forward": [("already_at_competent", {"custody_office_id": COMPETENT}, True)],
    "checks_done": [
        ("no_checks", {"checks": frozenset()}, False),
        ("formal_only", {"checks": FORMAL_ONLY}, False),
        ("identity_only", {"checks": IDENTITY_ONLY}, False),
    ],
    "formal_check_pending": [("formal_done", {"checks": FORMAL_ONLY}, False)],
    "identity_check_pending": [("identity_done", {"checks": IDENTITY_ONLY}, False)],
    "subtasks_done": [
        ("none_sent", {"subtasks": ()}, False),
        ("all_cancelled", {"subtasks": (task(T.CANCELLED),)}, False),
        ("one_sent", {"subtasks": (task(T.SENT),)}, False),
        ("one_accepted", {"subtasks": (task(T.ACCEPTED),)}, False),
        ("one_negotiating", {"subtasks": (task(T.NEGOTIATING, was_accepted=True),)}, False),
        ("done_and_sent", {"subtasks": (task(T.DONE), task(T.SENT, COOP_B, id=2))}, False),
    ],
    "no_subtasks_yet": [("one_sent", {"subtasks": (task(T.SENT),)}, False)],
    "extension_pending": [("none_pending", {"extension_pending": False}, False)],
    "no_extension_pending": [("one_pending", {"extension_pending": True}, False)],
    "not_delivered": [("delivered", {"delivered": True}, False)],
}


def row_facts(t: Transition, status: CaseStatus, mode: HandlingMode, forwarded: bool) -> CaseFacts:
    """A case in ``status`` and ``mode`` on which every guard of row ``t`` holds."""
    c = case(status, mode, forwarded=forwarded)
    for name in t.guards:
        c = replace(c, **SATISFY[name](c))
    return c


def first_source(t: Transition) -> CaseStatus:
    return sorted(t.sources)[0]


def first_mode(t: Transition) -> HandlingMode:
    return next(m for m in MODES if m in t.modes)


def row_id(t: Transition, *parts: object) -> str:
    return "-".join([t.action.value, *map(str, parts)])


def allowed_cases() -> Iterator[Any]:
    for t in TRANSITIONS:
        for status in sorted(t.sources):
            for mode in (m for m in MODES if m in t.modes):
                for label, actor, forwarded in party_setups(t.party, mode):
                    c = row_facts(t, status, mode, forwarded)
                    yield pytest.param(t, c, actor, id=row_id(t, status, mode, label))


@pytest.mark.parametrize(("t", "c", "actor"), list(allowed_cases()))
def test_every_row_is_allowed_for_its_party(t: Transition, c: CaseFacts, actor: ActorFacts):
    reason = REASON if t.reason_required else None
    target = allowed_target(t.action, c, actor, reason)
    assert target is (c.status if t.target is None else t.target)
    assert (c.status, t.action, target) in set(WorkflowGraph().edges)


def test_every_row_has_an_allowed_case():
    covered = {p.values[0].action for p in allowed_cases()}
    assert covered == CASE_ACTIONS


def wrong_role_cases() -> Iterator[Any]:
    for t in TRANSITIONS:
        mode = first_mode(t)
        label, right, forwarded = party_setups(t.party, mode)[0]
        c = row_facts(t, first_source(t), mode, forwarded)
        for role in Role:
            if role in t.roles:
                continue
            # Same user, office and scope as the right actor: only the role differs.
            actor = ActorFacts(
                role,
                user_id=APPLICANT_ID,
                office_id=right.office_id if right.office_id is not None else COMPETENT,
            )
            yield pytest.param(t, c, actor, id=row_id(t, "as", role))


@pytest.mark.parametrize(("t", "c", "actor"), list(wrong_role_cases()))
def test_every_row_refuses_a_wrong_role(t: Transition, c: CaseFacts, actor: ActorFacts):
    assert t.action.label_zh in refusal_message(t.action, c, actor)


def wrong_party_cases() -> Iterator[Any]:
    for t in TRANSITIONS:
        for mode in (m for m in MODES if m in t.modes):
            for label, actor, forwarded in wrong_party_setups(t.party, mode):
                c = row_facts(t, first_source(t), mode, forwarded)
                yield pytest.param(t, c, actor, id=row_id(t, mode, label))


@pytest.mark.parametrize(("t", "c", "actor"), list(wrong_party_cases()))
def test_every_row_refuses_the_wrong_party(t: Transition, c: CaseFacts, actor: ActorFacts):
    assert actor.role in t.roles
    assert t.action.label_zh in refusal_message(t.action, c, actor)


def wrong_state_cases() -> Iterator[Any]:
    for t in TRANSITIONS:
        mode = first_mode(t)
        label, actor, forwarded = party_setups(t.party, mode)[0]
        for status in sorted(set(CaseStatus) - t.sources):
            c = row_facts(t, status, mode, forwarded)
            yield pytest.param(t, c, actor, id=row_id(t, "from", status))


@pytest.mark.parametrize(("t", "c", "actor"), list(wrong_state_cases()))
def test_every_row_refuses_states_outside_its_sources(
    t: Transition, c: CaseFacts, actor: ActorFacts
):
    assert t.action.label_zh in refusal_message(t.action, c, actor)


def false_guard_cases() -> Iterator[Any]:
    for t in TRANSITIONS:
        for name in t.guards:
            for label, changes, breaks_party in BREAK[name]:
                for mode in (m for m in MODES if m in t.modes):
                    _, actor, forwarded = party_setups(t.party, mode)[0]
                    c = replace(row_facts(t, first_source(t), mode, forwarded), **changes)
                    if GUARDS[name].test(c):
                        continue  # e.g. sub-tasks only matter to joint cases
                    yield pytest.param(
                        t, name, breaks_party, c, actor, id=row_id(t, name, label, mode)
                    )


@pytest.mark.parametrize(("t", "guard", "breaks_party", "c", "actor"), list(false_guard_cases()))
def test_every_row_refuses_when_a_guard_is_false(
    t: Transition, guard: str, breaks_party: bool, c: CaseFacts, actor: ActorFacts
):
    message = refusal_message(t.action, c, actor)
    if not breaks_party:
        assert message == GUARDS[guard].refusal_zh


def test_every_guard_of_every_row_can_be_made_false():
    falsified = {(p.values[0].action, p.values[1]) for p in false_guard_cases()}
    assert falsified == {(t.action, g) for t in TRANSITIONS for g in t.guards}
    assert set(SATISFY) == set(BREAK) == set(GUARDS)


def wrong_mode_cases() -> Iterator[Any]:
    for t in TRANSITIONS:
        label, actor, forwarded = party_setups(t.party, first_mode(t))[0]
        for mode in (m for m in MODES if m not in t.modes):
            c = replace(
                row_facts(t, first_source(t), mode, forwarded),
                receiving_office_id=RECEIVING,
                custody_office_id=RECEIVING,
            )
            yield pytest.param(t, c, actor, id=row_id(t, "in", mode))


@pytest.mark.parametrize(("t", "c", "actor"), list(wrong_mode_cases()))
def test_rows_for_some_modes_refuse_the_others(t: Transition, c: CaseFacts, actor: ActorFacts):
    message = refusal_message(t.action, c, actor)
    assert t.action.label_zh in message
    assert "办理方式" in message


def reason_cases() -> Iterator[Any]:
    for t in TRANSITIONS:
        if not t.reason_required:
            continue
        mode = first_mode(t)
        label, actor, forwarded = party_setups(t.party, mode)[0]
        c = row_facts(t, first_source(t), mode, forwarded)
        for blank in BLANK_REASONS:
            yield pytest.param(t, c, actor, blank, id=row_id(t, repr(blank)))


@pytest.mark.parametrize(("t", "c", "actor", "blank"), list(reason_cases()))
def test_reason_required_rows_refuse_a_blank_reason(
    t: Transition, c: CaseFacts, actor: ActorFacts, blank: str | None
):
    with pytest.raises(ReasonRequired) as info:
        check(t.action, c, actor, blank)
    assert info.value.code == "reason_required"
    assert_chinese(info.value.message)
    assert t.action.label_zh in info.value.message
    # A missing reason is a form error, not a missing permission: the button stays.
    assert t.action in available_actions(c, actor)
    assert check(t.action, c, actor, " 理由 ") is t


def test_a_refusal_wins_over_a_missing_reason():
    """Someone who may not act learns that, not that the form needs a reason."""
    with pytest.raises(TransitionNotAllowed):
        check(A.REJECT, case(S.RECEIVED), OTHER_CLERK, None)
    with pytest.raises(TransitionNotAllowed):
        check(A.RETRACT, case(S.ACCEPTED), APPLICANT, "")


# ---- 1. hand-written product rules (independent of TRANSITIONS) ----------------------------

DONE_A = task(T.DONE, COOP_A, id=1)

ALLOWED = [
    pytest.param(
        case(S.RECEIVED),
        COMPETENT_CLERK,
        A.ACCEPT,
        S.ACCEPTED,
        id="online-competent-office-accepts",
    ),
    pytest.param(
        case(S.SUPPLEMENTED, accepted=False),
        COMPETENT_CLERK,
        A.ACCEPT,
        S.ACCEPTED,
        id="online-accepts-once-supplements-arrive",
    ),
    pytest.param(
        case(S.RECEIVED),
        COMPETENT_CLERK,
        A.REJECT,
        S.NOT_ACCEPTED,
        id="online-competent-office-rejects",
    ),
    pytest.param(
        case(S.RECEIVED),
        COMPETENT_CLERK,
        A.REQUEST_SUPPLEMENT,
        S.SUPPLEMENT_REQUESTED,
        id="online-one-time-supplement-notice",
    ),
    pytest.param(
        case(S.SUPPLEMENT_REQUESTED),
        APPLICANT,
        A.SUBMIT_SUPPLEMENT,
        S.SUPPLEMENTED,
        id="applicant-submits-supplements",
    ),
    pytest.param(
        case(S.RECEIVED, AHDT),
        RECEIVING_CLERK,
        A.FORMAL_CHECK,
        S.RECEIVED,
        id="ahdt-receiving-office-formal-check",
    ),
    pytest.param(
        case(S.RECEIVED, AHDT, checks=FORMAL_ONLY),
        RECEIVING_CLERK,
        A.IDENTITY_CHECK,
        S.RECEIVED,
        id="ahdt-receiving-office-identity-check",
    ),
    pytest.param(
        case(S.RECEIVED, AHDT, checks=CHECKED),
        RECEIVING_CLERK,
        A.FORWARD,
        S.RECEIVED,
        id="ahdt-forward-after-both-checks",
    ),
    pytest.param(
        case(S.RECEIVED, AHDT),
        RECEIVING_CLERK,
        A.REQUEST_SUPPLEMENT,
        S.SUPPLEMENT_REQUESTED,
        id="ahdt-receiving-office-asks-for-supplements",
    ),
    pytest.param(
        case(S.RECEIVED, AHDT, forwarded=True, checks=CHECKED),
        COMPETENT_CLERK,
        A.ACCEPT,
        S.ACCEPTED,
        id="ahdt-competent-office-accepts-after-forwarding",
    ),
    pytest.param(
        case(S.RECEIVED, AHDT, forwarded=True, checks=CHECKED),
        COMPETENT_CLERK,
        A.REJECT,
        S.NOT_ACCEPTED,
        id="ahdt-competent-office-rejects-after-forwarding",
    ),
    pytest.param(
        case(S.ACCEPTED, AHDT),
        RECEIVING_CLERK,
        A.FORMAL_CHECK,
        S.ACCEPTED,
        id="ahdt-deemed-accepted-case-still-checked-at-the-counter",
    ),
    pytest.param(
        case(S.ACCEPTED, AHDT, checks=CHECKED),
        RECEIVING_CLERK,
        A.FORWARD,
        S.ACCEPTED,
        id="ahdt-deemed-accepted-case-still-forwarded",
    ),
    pytest.param(
        case(S.RECEIVED), SYSTEM, A.DEEM_ACCEPTED, S.ACCEPTED, id="system-deems-accepted-art32"
    ),
    pytest.param(
        case(S.SUPPLEMENTED, accepted=False),
        SYSTEM,
        A.DEEM_ACCEPTED,
        S.ACCEPTED,
        id="system-deems-accepted-after-supplements-arrive",
    ),
    pytest.param(
        case(S.ACCEPTED),
        COMPETENT_CLERK,
        A.START_PROCESSING,
        S.PROCESSING,
        id="competent-office-starts-processing",
    ),
    pytest.param(
        case(S.ACCEPTED, JOINT),
        COMPETENT_CLERK,
        A.START_PROCESSING,
        S.PROCESSING,
        id="joint-lead-starts-processing",
    ),
    pytest.param(
        case(S.PROCESSING),
        COMPETENT_CLERK,
        A.START_SPECIAL,
        S.SPECIAL_PROCEDURE,
        id="special-procedure-starts",
    ),
    pytest.param(
        case(S.SPECIAL_PROCEDURE),
        COMPETENT_CLERK,
        A.END_SPECIAL,
        S.SPECIAL_PROCEDURE_ENDED,
        id="special-procedure-ends",
    ),
    pytest.param(
        case(S.PROCESSING),
        COMPETENT_CLERK,
        A.REQUEST_EXTENSION,
        S.PROCESSING,
        id="extension-requested-state-unchanged",
    ),
    pytest.param(
        case(S.PROCESSING, extension_pending=True),
        SUPERVISOR_IN,
        A.APPROVE_EXTENSION,
        S.PROCESSING,
        id="supervisor-in-region-approves-extension",
    ),
    pytest.param(
        case(S.SPECIAL_PROCEDURE, extension_pending=True),
        SUPERVISOR_ALL,
        A.REFUSE_EXTENSION,
        S.SPECIAL_PROCEDURE,
        id="national-supervisor-refuses-extension",
    ),
    pytest.param(case(S.PROCESSING), COMPETENT_CLERK, A.APPROVE, S.APPROVED, id="online-approve"),
    pytest.param(
        case(S.PROCESSING),
        COMPETENT_CLERK,
        A.APPROVE_TOLERATED,
        S.APPROVED_TOLERATED,
        id="online-approve-tolerated",
    ),
    pytest.param(
        case(S.SPECIAL_PROCEDURE_ENDED),
        COMPETENT_CLERK,
        A.REFUSE,
        S.REFUSED,
        id="refuse-after-special-procedure",
    ),
    pytest.param(
        case(S.PROCESSING, AHDT, forwarded=True, checks=CHECKED),
        COMPETENT_CLERK,
        A.APPROVE,
        S.APPROVED,
        id="ahdt-competent-office-decides",
    ),
    pytest.param(
        case(S.PROCESSING, JOINT, subtasks=JOINT_ALL_DONE),
        COMPETENT_CLERK,
        A.APPROVE,
        S.APPROVED,
        id="joint-approve-all-live-subtasks-done",
    ),
    pytest.param(
        case(S.PROCESSING, JOINT, subtasks=(task(T.SENT),)),
        COMPETENT_CLERK,
        A.REFUSE,
        S.REFUSED,
        id="joint-refuse-while-subtask-sent",
    ),
    pytest.param(
        case(S.PROCESSING, JOINT, subtasks=(task(T.NEGOTIATING),)),
        COMPETENT_CLERK,
        A.REFUSE,
        S.REFUSED,
        id="joint-refuse-while-negotiating",
    ),
    pytest.param(
        case(S.APPROVED, AHDT, forwarded=True),
        RECEIVING_CLERK,
        A.DELIVER,
        S.APPROVED,
        id="ahdt-result-collected-at-receiving-counter",
    ),
    pytest.param(case(S.REFUSED), COMPETENT_CLERK, A.DELIVER, S.REFUSED, id="refusal-delivered"),
    pytest.param(
        case(S.RECEIVED),
        APPLICANT,
        A.RETRACT,
        S.RETRACTED,
        id="applicant-retracts-before-acceptance",
    ),
    pytest.param(
        case(S.SUPPLEMENT_REQUESTED, accepted=False),
        APPLICANT,
        A.RETRACT,
        S.RETRACTED,
        id="applicant-retracts-during-pre-acceptance-supplement",
    ),
    pytest.param(
        case(S.PROCESSING),
        APPLICANT,
        A.WITHDRAW,
        S.WITHDRAWN,
        id="applicant-withdraws-after-acceptance",
    ),
    pytest.param(
        case(S.SUPPLEMENT_REQUESTED, accepted=True),
        APPLICANT,
        A.WITHDRAW,
        S.WITHDRAWN,
        id="applicant-withdraws-during-post-acceptance-supplement",
    ),
    pytest.param(
        case(S.PROCESSING), COMPETENT_CLERK, A.CANCEL, S.CANCELLED, id="holding-office-cancels"
    ),
    pytest.param(
        case(S.RECEIVED, AHDT),
        RECEIVING_CLERK,
        A.CANCEL,
        S.CANCELLED,
        id="ahdt-receiving-office-cancels-before-forwarding",
    ),
]


@pytest.mark.parametrize(("c", "actor", "action", "target"), ALLOWED)
def test_product_rule_allows(c: CaseFacts, actor: ActorFacts, action: Action, target: CaseStatus):
    assert allowed_target(action, c, actor) is target


REFUSED = [
    pytest.param(
        case(S.RECEIVED, AHDT, checks=CHECKED),
        RECEIVING_CLERK,
        A.ACCEPT,
        id="ahdt-receiving-office-cannot-accept-before-forwarding",
    ),
    pytest.param(
        case(S.RECEIVED, AHDT, checks=CHECKED),
        COMPETENT_CLERK,
        A.ACCEPT,
        id="ahdt-competent-office-cannot-accept-before-forwarding",
    ),
    pytest.param(
        case(S.RECEIVED, AHDT, checks=CHECKED),
        RECEIVING_CLERK,
        A.REJECT,
        id="ahdt-receiving-office-cannot-reject",
    ),
    pytest.param(
        case(S.RECEIVED, AHDT, checks=FORMAL_ONLY),
        RECEIVING_CLERK,
        A.FORWARD,
        id="ahdt-forward-needs-identity-check",
    ),
    pytest.param(
        case(S.RECEIVED, AHDT, checks=IDENTITY_ONLY),
        RECEIVING_CLERK,
        A.FORWARD,
        id="ahdt-forward-needs-formal-check",
    ),
    pytest.param(
        case(S.RECEIVED, AHDT, checks=FORMAL_ONLY),
        RECEIVING_CLERK,
        A.FORMAL_CHECK,
        id="ahdt-formal-check-recorded-once",
    ),
    pytest.param(
        case(S.RECEIVED, AHDT, forwarded=True, checks=CHECKED),
        RECEIVING_CLERK,
        A.FORWARD,
        id="ahdt-no-second-forward",
    ),
    pytest.param(
        case(S.RECEIVED, AHDT, forwarded=True, checks=CHECKED),
        RECEIVING_CLERK,
        A.REQUEST_SUPPLEMENT,
        id="ahdt-receiving-office-lets-go-after-forwarding",
    ),
    pytest.param(
        case(S.RECEIVED, AHDT, forwarded=True),
        COMPETENT_CLERK,
        A.IDENTITY_CHECK,
        id="ahdt-competent-office-does-not-do-the-counter-checks",
    ),
    pytest.param(
        case(S.RECEIVED, AHDT, forwarded=True),
        RECEIVING_CLERK,
        A.CANCEL,
        id="ahdt-receiving-office-cannot-cancel-after-forwarding",
    ),
    pytest.param(
        case(S.PROCESSING, AHDT, forwarded=True),
        RECEIVING_CLERK,
        A.APPROVE,
        id="ahdt-receiving-office-never-decides",
    ),
    pytest.param(case(S.RECEIVED), COMPETENT_CLERK, A.FORWARD, id="online-never-forwarded"),
    pytest.param(
        case(S.RECEIVED), COMPETENT_CLERK, A.FORMAL_CHECK, id="online-no-counter-formal-check"
    ),
    pytest.param(case(S.RECEIVED, JOINT), COMPETENT_CLERK, A.FORWARD, id="joint-never-forwarded"),
    pytest.param(case(S.RECEIVED), OTHER_CLERK, A.ACCEPT, id="other-office-cannot-accept"),
    pytest.param(case(S.RECEIVED), ADMIN, A.ACCEPT, id="admin-cannot-accept"),
    pytest.param(
        case(S.SUPPLEMENTED, accepted=True), COMPETENT_CLERK, A.ACCEPT, id="no-second-acceptance"
    ),
    pytest.param(
        case(S.SUPPLEMENTED, accepted=True),
        SYSTEM,
        A.DEEM_ACCEPTED,
        id="no-deemed-acceptance-after-acceptance",
    ),
    pytest.param(
        case(S.SUPPLEMENT_REQUESTED, accepted=False),
        SYSTEM,
        A.DEEM_ACCEPTED,
        id="no-deemed-acceptance-while-supplements-awaited",
    ),
    pytest.param(
        case(S.RECEIVED), COMPETENT_CLERK, A.DEEM_ACCEPTED, id="only-the-sweep-deems-accepted"
    ),
    pytest.param(
        case(S.SUPPLEMENTED, accepted=False),
        COMPETENT_CLERK,
        A.START_PROCESSING,
        id="no-processing-before-acceptance",
    ),
    pytest.param(
        case(S.SUPPLEMENTED, accepted=False),
        COMPETENT_CLERK,
        A.REFUSE,
        id="no-decision-before-acceptance",
    ),
    pytest.param(
        case(S.RECEIVED),
        APPLICANT,
        A.WITHDRAW,
        id="applicant-retracts-not-withdraws-before-acceptance",
    ),
    pytest.param(
        case(S.ACCEPTED),
        APPLICANT,
        A.RETRACT,
        id="applicant-withdraws-not-retracts-after-acceptance",
    ),
    pytest.param(
        case(S.SUPPLEMENT_REQUESTED, accepted=True),
        APPLICANT,
        A.RETRACT,
        id="no-retract-during-post-acceptance-supplement",
    ),
    pytest.param(case(S.RECEIVED), OTHER_CITIZEN, A.RETRACT, id="other-citizen-cannot-retract"),
    pytest.param(
        case(S.SUPPLEMENT_REQUESTED),
        OTHER_CITIZEN,
        A.SUBMIT_SUPPLEMENT,
        id="other-citizen-cannot-supplement",
    ),
    pytest.param(
        case(S.RECEIVED), COMPETENT_CLERK, A.RETRACT, id="clerk-cannot-retract-for-applicant"
    ),
    pytest.param(
        case(S.PROCESSING, extension_pending=True),
        COMPETENT_CLERK,
        A.REQUEST_EXTENSION,
        id="no-second-extension-while-one-pending",
    ),
    pytest.param(
        case(S.SUPPLEMENTED, accepted=False),
        COMPETENT_CLERK,
        A.REQUEST_EXTENSION,
        id="no-extension-before-acceptance",
    ),
    pytest.param(
        case(S.PROCESSING, extension_pending=True),
        COMPETENT_CLERK,
        A.APPROVE_EXTENSION,
        id="clerk-cannot-approve-own-extension",
    ),
    pytest.param(
        case(S.PROCESSING, extension_pending=True),
        SUPERVISOR_OUT,
        A.APPROVE_EXTENSION,
        id="supervisor-out-of-region-cannot-approve",
    ),
    pytest.param(
        case(S.PROCESSING, extension_pending=True),
        SUPERVISOR_NOWHERE,
        A.REFUSE_EXTENSION,
        id="supervisor-without-regions-cannot-refuse",
    ),
    pytest.param(
        case(S.PROCESSING), SUPERVISOR_ALL, A.APPROVE_EXTENSION, id="no-extension-to-approve"
    ),
    pytest.param(
        case(S.PROCESSING, JOINT, subtasks=(task(T.SENT),)),
        COMPETENT_CLERK,
        A.APPROVE,
        id="joint-no-approval-while-subtask-sent",
    ),
    pytest.param(
        case(S.PROCESSING, JOINT, subtasks=(task(T.ACCEPTED),)),
        COMPETENT_CLERK,
        A.APPROVE,
        id="joint-no-approval-while-subtask-accepted",
    ),
    pytest.param(
        case(S.PROCESSING, JOINT, subtasks=(DONE_A, task(T.NEGOTIATING, COOP_B, id=2))),
        COMPETENT_CLERK,
        A.APPROVE_TOLERATED,
        id="joint-no-tolerated-approval-while-negotiating",
    ),
    pytest.param(
        case(S.PROCESSING, JOINT),
        COMPETENT_CLERK,
        A.APPROVE,
        id="joint-no-approval-before-any-subtask",
    ),
    pytest.param(
        case(S.PROCESSING, JOINT, subtasks=(task(T.CANCELLED),)),
        COMPETENT_CLERK,
        A.APPROVE,
        id="joint-no-approval-when-every-subtask-cancelled",
    ),
    pytest.param(
        case(S.PROCESSING, JOINT, subtasks=(DONE_A,)),
        COOP_A_CLERK,
        A.APPROVE,
        id="cooperating-office-does-not-decide-the-case",
    ),
    pytest.param(case(S.PROCESSING), SYSTEM, A.APPROVE, id="system-never-decides"),
    pytest.param(
        case(S.PROCESSING), COMPETENT_CLERK, A.DELIVER, id="nothing-to-deliver-before-decision"
    ),
    pytest.param(
        case(S.APPROVED, delivered=True), COMPETENT_CLERK, A.DELIVER, id="no-second-delivery"
    ),
    pytest.param(
        case(S.APPROVED, JOINT, subtasks=(DONE_A,)),
        COOP_A_CLERK,
        A.DELIVER,
        id="cooperating-office-does-not-deliver",
    ),
    pytest.param(case(S.WITHDRAWN), COMPETENT_CLERK, A.DELIVER, id="withdrawn-no-delivery"),
    pytest.param(case(S.APPROVED), COMPETENT_CLERK, A.CANCEL, id="closed-approved-no-cancel"),
    pytest.param(case(S.REFUSED), APPLICANT, A.WITHDRAW, id="closed-refused-no-withdraw"),
    pytest.param(
        case(S.NOT_ACCEPTED), COMPETENT_CLERK, A.ACCEPT, id="closed-not-accepted-no-accept"
    ),
    pytest.param(
        case(S.RETRACTED), APPLICANT, A.SUBMIT_SUPPLEMENT, id="closed-retracted-no-supplement"
    ),
    pytest.param(
        case(S.CANCELLED), COMPETENT_CLERK, A.START_PROCESSING, id="closed-cancelled-no-processing"
    ),
    pytest.param(
        case(S.PROCESSING),
        COMPETENT_CLERK,
        A.SUBTASK_ACCEPT,
        id="subtask-action-is-not-a-case-move",
    ),
    pytest.param(case(S.PROCESSING), COMPETENT_CLERK, A.CLAIM, id="claim-is-not-a-case-move"),
    pytest.param(case(S.RECEIVED), APPLICANT, A.SUBMIT, id="submit-is-not-a-case-move"),
]


@pytest.mark.parametrize(("c", "actor", "action"), REFUSED)
def test_product_rule_refuses(c: CaseFacts, actor: ActorFacts, action: Action):
    refusal_message(action, c, actor)


REASON_RULES = [
    # PRODUCT.md: a rejection carries its reason; the applicant sees why the clock was extended;
    # a refusal and an office's cancellation must say why.
    pytest.param(A.REJECT, True, id="reject"),
    pytest.param(A.REQUEST_EXTENSION, True, id="request_extension"),
    pytest.param(A.REFUSE, True, id="refuse"),
    pytest.param(A.APPROVE_TOLERATED, True, id="approve_tolerated"),
    pytest.param(A.CANCEL, True, id="cancel"),
    pytest.param(A.ACCEPT, False, id="accept"),
    pytest.param(A.APPROVE, False, id="approve"),
    pytest.param(A.FORWARD, False, id="forward"),
    pytest.param(A.SUBMIT_SUPPLEMENT, False, id="submit_supplement"),
    pytest.param(A.DELIVER, False, id="deliver"),
    pytest.param(A.DEEM_ACCEPTED, False, id="deem_accepted"),
]


@pytest.mark.parametrize(("action", "needs_reason"), REASON_RULES)
def test_which_moves_need_a_reason(action: Action, needs_reason: bool):
    assert TRANSITIONS_BY_ACTION[action].reason_required is needs_reason


# PRODUCT.md: supplement (补正) and special procedure (特别程序) pause the clock; each pause
# ends with its own move, and a paused case never starts a second pause.
PAUSE_ENDS = {
    S.SUPPLEMENT_REQUESTED: (A.SUBMIT_SUPPLEMENT, S.SUPPLEMENTED),
    S.SPECIAL_PROCEDURE: (A.END_SPECIAL, S.SPECIAL_PROCEDURE_ENDED),
}


def test_one_pause_at_a_time_and_each_pause_ends_with_its_own_move():
    paused = {s for s, info in STATUS_TABLE.items() if info.clock is ClockEffect.PAUSED}
    assert paused == set(PAUSE_ENDS)
    for src, action, dst in WorkflowGraph().edges:
        if src not in paused:
            continue
        if dst in paused:
            assert dst is src, f"{action} starts a second pause from {src}"
        elif not dst.is_closed:
            assert (action, dst) == PAUSE_ENDS[src], f"{action} leaves {src} without ending it"


CLOSED = sorted(CLOSED_STATES)
DECISIONS = {S.APPROVED, S.APPROVED_TOLERATED, S.REFUSED}  # 办结: codes 11, 12, 13
DELIVERABLE = DECISIONS | {S.NOT_ACCEPTED}  # a refusal to accept is served too (appeal rights)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", CLOSED)
def test_nobody_changes_a_closed_case_only_delivery_is_recorded(
    status: CaseStatus, mode: HandlingMode
):
    for forwarded in (False, True):
        for delivered in (False, True):
            c = case(
                status,
                mode,
                forwarded=forwarded,
                checks=CHECKED,
                delivered=delivered,
                subtasks=(DONE_A,) if mode is JOINT else (),
            )
            offices = {c.receiving_office_id, c.competent_office_id}
            for actor in ALL_ACTORS.values():
                may_deliver = (
                    status in DELIVERABLE
                    and not delivered
                    and actor.role is Role.CLERK
                    and actor.office_id in offices
                )
                assert set(available_actions(c, actor)) == ({A.DELIVER} if may_deliver else set())
                for action in Action:
                    if action is A.DELIVER and may_deliver:
                        assert allowed_target(action, c, actor) is status
                    else:
                        refusal_message(action, c, actor)


def test_applicant_steps_back_by_retracting_before_and_withdrawing_after_acceptance():
    for status in sorted(OPEN_STATES):
        for accepted in (False, True):
            c = case(status, accepted=accepted)
            expected = {A.WITHDRAW} if accepted else {A.RETRACT}
            if status is S.RECEIVED and accepted:
                continue  # not a real combination: acceptance always leaves 已接件
            if (
                status in (S.ACCEPTED, S.PROCESSING, S.SPECIAL_PROCEDURE, S.SPECIAL_PROCEDURE_ENDED)
                and not accepted
            ):
                continue  # likewise: these states only follow acceptance
            mine = set(available_actions(c, APPLICANT)) & {A.RETRACT, A.WITHDRAW}
            assert mine == expected, (status, accepted)
            assert available_actions(c, OTHER_CITIZEN) == []


# ---- 3. sub-tasks of joint handling (多地联办) ---------------------------------------------

SUBTASK_ACTIONS = (
    A.SUBTASK_ACCEPT,
    A.SUBTASK_NEGOTIATE,
    A.SUBTASK_RESUME,
    A.SUBTASK_COMPLETE,
    A.SUBTASK_CANCEL,
)
COOPERATING, LEAD = COOP_A_CLERK, COMPETENT_CLERK  # the task goes to COOP_A; COMPETENT leads


def joint(status: CaseStatus = S.PROCESSING, *tasks: SubTaskFacts) -> CaseFacts:
    return case(status, JOINT, subtasks=tasks)


def subtask_refusal_message(
    action: Action, c: CaseFacts, t: SubTaskFacts, actor: ActorFacts, reason: str | None = REASON
) -> str:
    with pytest.raises(TransitionNotAllowed) as info:
        check_subtask(action, c, t, actor, reason)
    assert_chinese(info.value.message)
    assert action not in available_subtask_actions(c, t, actor)
    return info.value.message


SUBTASK_ALLOWED = [
    pytest.param(
        task(T.SENT),
        COOPERATING,
        A.SUBTASK_ACCEPT,
        T.ACCEPTED,
        id="cooperating-office-accepts-contact-letter",
    ),
    pytest.param(
        task(T.ACCEPTED), COOPERATING, A.SUBTASK_COMPLETE, T.DONE, id="cooperating-office-completes"
    ),
    pytest.param(
        task(T.SENT),
        COOPERATING,
        A.SUBTASK_NEGOTIATE,
        T.NEGOTIATING,
        id="cooperating-office-disputes-before-accepting",
    ),
    pytest.param(
        task(T.ACCEPTED),
        LEAD,
        A.SUBTASK_NEGOTIATE,
        T.NEGOTIATING,
        id="lead-disputes-after-acceptance",
    ),
    pytest.param(
        task(T.NEGOTIATING, was_accepted=True),
        LEAD,
        A.SUBTASK_RESUME,
        T.ACCEPTED,
        id="resume-returns-to-accepted",
    ),
    pytest.param(
        task(T.NEGOTIATING, was_accepted=False),
        COOPERATING,
        A.SUBTASK_RESUME,
        T.SENT,
        id="resume-returns-to-sent",
    ),
    pytest.param(
        task(T.SENT), LEAD, A.SUBTASK_CANCEL, T.CANCELLED, id="lead-cancels-before-acceptance"
    ),
    pytest.param(
        task(T.NEGOTIATING, was_accepted=False),
        LEAD,
        A.SUBTASK_CANCEL,
        T.CANCELLED,
        id="lead-cancels-negotiation-never-accepted",
    ),
]


@pytest.mark.parametrize(("t", "actor", "action", "target"), SUBTASK_ALLOWED)
def test_subtask_rule_allows(t: SubTaskFacts, actor: ActorFacts, action: Action, target: T):
    c = joint(S.PROCESSING, t)
    assert check_subtask(action, c, t, actor, REASON) is target
    assert action in available_subtask_actions(c, t, actor)


SUBTASK_REFUSED = [
    pytest.param(task(T.SENT), LEAD, A.SUBTASK_ACCEPT, id="lead-cannot-accept-for-the-other"),
    pytest.param(task(T.SENT), OTHER_CLERK, A.SUBTASK_ACCEPT, id="other-office-cannot-accept"),
    pytest.param(
        task(T.SENT), COOP_B_CLERK, A.SUBTASK_ACCEPT, id="another-cooperating-office-cannot-accept"
    ),
    pytest.param(task(T.ACCEPTED), COOPERATING, A.SUBTASK_ACCEPT, id="no-second-acceptance"),
    pytest.param(task(T.SENT), COOPERATING, A.SUBTASK_COMPLETE, id="no-completion-unaccepted"),
    pytest.param(
        task(T.NEGOTIATING, was_accepted=True),
        COOPERATING,
        A.SUBTASK_COMPLETE,
        id="no-completion-while-negotiating",
    ),
    pytest.param(task(T.ACCEPTED), LEAD, A.SUBTASK_COMPLETE, id="lead-cannot-complete"),
    pytest.param(task(T.DONE), LEAD, A.SUBTASK_NEGOTIATE, id="no-negotiation-once-done"),
    pytest.param(task(T.ACCEPTED), LEAD, A.SUBTASK_CANCEL, id="no-cancel-once-accepted"),
    pytest.param(
        task(T.NEGOTIATING, was_accepted=True),
        LEAD,
        A.SUBTASK_CANCEL,
        id="no-cancel-of-negotiation-after-acceptance",
    ),
    pytest.param(
        task(T.SENT), COOPERATING, A.SUBTASK_CANCEL, id="cooperating-office-cannot-cancel"
    ),
    pytest.param(task(T.DONE), LEAD, A.SUBTASK_CANCEL, id="no-cancel-once-done"),
    pytest.param(task(T.CANCELLED), LEAD, A.SUBTASK_RESUME, id="cancelled-is-final"),
    pytest.param(task(T.SENT), APPLICANT, A.SUBTASK_NEGOTIATE, id="applicant-not-involved"),
    pytest.param(task(T.SENT), SUPERVISOR_ALL, A.SUBTASK_CANCEL, id="supervisor-not-involved"),
    pytest.param(task(T.SENT), OFFICELESS_CLERK, A.SUBTASK_NEGOTIATE, id="clerk-without-office"),
    pytest.param(task(T.SENT), LEAD, A.APPROVE, id="case-action-is-not-a-subtask-move"),
]


@pytest.mark.parametrize(("t", "actor", "action"), SUBTASK_REFUSED)
def test_subtask_rule_refuses(t: SubTaskFacts, actor: ActorFacts, action: Action):
    subtask_refusal_message(action, joint(S.PROCESSING, t), t, actor)


def realistic_tasks(status: T) -> list[SubTaskFacts]:
    """SENT was never accepted, ACCEPTED and DONE were; NEGOTIATING can be either."""
    if status is T.NEGOTIATING:
        return [task(status, was_accepted=False), task(status, was_accepted=True)]
    return [task(status)]


EXPECTED_SUBTASK_TARGET: dict[Action, Callable[[SubTaskFacts], T]] = {
    A.SUBTASK_ACCEPT: lambda t: T.ACCEPTED,
    A.SUBTASK_NEGOTIATE: lambda t: T.NEGOTIATING,
    A.SUBTASK_RESUME: lambda t: T.ACCEPTED if t.was_accepted else T.SENT,
    A.SUBTASK_COMPLETE: lambda t: T.DONE,
    A.SUBTASK_CANCEL: lambda t: T.CANCELLED,
}
PARTY_ACTOR = {Party.COOPERATING_OFFICE: COOPERATING, Party.LEAD_OFFICE: LEAD}


def subtask_row_cases(allowed: bool) -> Iterator[Any]:
    for row in SUBTASK_TRANSITIONS:
        for status in T:
            for t in realistic_tasks(status):
                for party, actor in PARTY_ACTOR.items():
                    ok = (
                        status in row.sources
                        and party in row.parties
                        and not (row.only_if_never_accepted and t.was_accepted)
                    )
                    if ok is allowed:
                        yield pytest.param(
                            row.action,
                            t,
                            actor,
                            id=f"{row.action.value}-{status}-accepted_{t.was_accepted}-{party}",
                        )


@pytest.mark.parametrize(
    "case_status", [S.ACCEPTED, S.SUPPLEMENT_REQUESTED, S.PROCESSING, S.SPECIAL_PROCEDURE]
)
@pytest.mark.parametrize(("action", "t", "actor"), list(subtask_row_cases(allowed=True)))
def test_every_subtask_row_is_allowed_for_its_party(
    action: Action, t: SubTaskFacts, actor: ActorFacts, case_status: CaseStatus
):
    c = joint(case_status, t)
    assert check_subtask(action, c, t, actor, REASON) is EXPECTED_SUBTASK_TARGET[action](t)
    assert action in available_subtask_actions(c, t, actor)
    row = next(r for r in SUBTASK_TRANSITIONS if r.action is action)
    if row.reason_required:
        for blank in BLANK_REASONS:
            with pytest.raises(ReasonRequired):
                check_subtask(action, c, t, actor, blank)
    else:
        assert check_subtask(action, c, t, actor, None) is EXPECTED_SUBTASK_TARGET[action](t)


@pytest.mark.parametrize(("action", "t", "actor"), list(subtask_row_cases(allowed=False)))
def test_every_subtask_row_refuses_other_states_and_parties(
    action: Action, t: SubTaskFacts, actor: ActorFacts
):
    subtask_refusal_message(action, joint(S.PROCESSING, t), t, actor)


def test_subtask_table_matches_the_product_rule():
    """Cancel: lead only, only from SENT/NEGOTIATING, only if never accepted (PRODUCT.md)."""
    rows = {r.action: r for r in SUBTASK_TRANSITIONS}
    assert set(rows) == set(SUBTASK_ACTIONS)
    cancel = rows[A.SUBTASK_CANCEL]
    assert cancel.parties == {Party.LEAD_OFFICE}
    assert cancel.only_if_never_accepted
    assert cancel.sources == {T.SENT, T.NEGOTIATING}
    assert (
        rows[A.SUBTASK_ACCEPT].parties
        == rows[A.SUBTASK_COMPLETE].parties
        == {Party.COOPERATING_OFFICE}
    )


@pytest.mark.parametrize("mode", [ONLINE, AHDT])
def test_non_joint_cases_refuse_every_subtask_action(mode: HandlingMode):
    for status in CaseStatus:
        for task_status in T:
            for t in realistic_tasks(task_status):
                c = replace(case(status, mode, forwarded=True), subtasks=(t,))
                for actor in ALL_ACTORS.values():
                    assert available_subtask_actions(c, t, actor) == []
                    for action in SUBTASK_ACTIONS:
                        subtask_refusal_message(action, c, t, actor)


@pytest.mark.parametrize("status", CLOSED)
def test_closed_joint_cases_refuse_every_subtask_action(status: CaseStatus):
    for task_status in T:
        for t in realistic_tasks(task_status):
            c = joint(status, t)
            for actor in ALL_ACTORS.values():
                assert available_subtask_actions(c, t, actor) == []
                for action in SUBTASK_ACTIONS:
                    subtask_refusal_message(action, c, t, actor)


def test_the_lead_is_the_office_holding_the_case_not_the_receiving_counter():
    t = task(T.SENT)
    c = replace(joint(S.PROCESSING, t), receiving_office_id=RECEIVING)
    assert available_subtask_actions(c, t, COMPETENT_CLERK) == [
        A.SUBTASK_NEGOTIATE,
        A.SUBTASK_CANCEL,
    ]
    assert available_subtask_actions(c, t, RECEIVING_CLERK) == []
    subtask_refusal_message(A.SUBTASK_CANCEL, c, t, RECEIVING_CLERK)


def test_non_clerk_roles_cannot_work_subtasks_even_from_the_right_office():
    t = task(T.ACCEPTED)
    c = joint(S.PROCESSING, t)
    for role in Role:
        if role is Role.CLERK:
            continue
        for office in (COOP_A, COMPETENT):
            actor = ActorFacts(role, user_id=APPLICANT_ID, office_id=office)
            for action in SUBTASK_ACTIONS:
                subtask_refusal_message(action, c, t, actor)


# ---- 5. the status table -------------------------------------------------------------------

# PRODUCT.md "Case states", written out by hand: code → (状态, clock).
PRODUCT_STATUS_TABLE = {
    1: ("已接件", ClockEffect.RUNNING),
    2: ("已撤件", ClockEffect.STOPPED),
    3: ("已受理", ClockEffect.RUNNING),
    5: ("不予受理", ClockEffect.STOPPED),
    6: ("补正开始", ClockEffect.PAUSED),
    7: ("补正结束", ClockEffect.RUNNING),
    8: ("部门开始办理", ClockEffect.RUNNING),
    9: ("特别程序开始", ClockEffect.PAUSED),
    10: ("特别程序结束", ClockEffect.RUNNING),
    11: ("办结（通过）", ClockEffect.STOPPED),
    12: ("办结（容缺通过）", ClockEffect.STOPPED),
    13: ("办结（不通过）", ClockEffect.STOPPED),
    14: ("撤回", ClockEffect.STOPPED),
    15: ("撤销", ClockEffect.STOPPED),
}
OPEN311_CLOSED_CODES = {2, 5, 11, 12, 13, 14, 15}


def test_status_codes_are_the_sector_list():
    codes = [s.code for s in CaseStatus]
    assert len(codes) == len(set(codes))
    assert set(codes) == {1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
    assert set(STATUS_TABLE) == set(CaseStatus)


@pytest.mark.parametrize("code", sorted(PRODUCT_STATUS_TABLE))
def test_status_code_round_trips_with_product_label_and_clock(code: int):
    status = status_by_code(code)
    assert status.code == code
    label, clock = PRODUCT_STATUS_TABLE[code]
    assert status.label_zh == label
    assert STATUS_TABLE[status].clock is clock
    assert status.label_en
    assert status.open311_status == ("closed" if code in OPEN311_CLOSED_CODES else "open")
    assert status.is_closed is (code in OPEN311_CLOSED_CODES)


@pytest.mark.parametrize("code", [0, 4, 16, -1])
def test_unknown_status_code(code: int):
    with pytest.raises(KeyError):
        status_by_code(code)


def test_open_and_closed_states_partition_the_enum():
    assert set(CaseStatus) == OPEN_STATES | CLOSED_STATES
    assert not OPEN_STATES & CLOSED_STATES
    assert {s.code for s in CLOSED_STATES} == OPEN311_CLOSED_CODES


# ---- 4. the model: moves applied the way the services apply them ---------------------------

COOPERATING_OFFICES = (COOP_A, COOP_B)
MACHINE_ACTORS = (
    APPLICANT,
    OTHER_CITIZEN,
    RECEIVING_CLERK,
    COMPETENT_CLERK,
    COOP_A_CLERK,
    COOP_B_CLERK,
    OTHER_CLERK,
    SUPERVISOR_IN,
    SUPERVISOR_ALL,
    SUPERVISOR_OUT,
    SYSTEM,
    ADMIN,
)
OUTSIDERS = (OTHER_CITIZEN, OTHER_CLERK, SUPERVISOR_OUT, ADMIN)
TABLE_ORDER = [t.action for t in TRANSITIONS]
EDGES = frozenset(WorkflowGraph().edges)


def live(c: CaseFacts) -> list[SubTaskFacts]:
    return [t for t in c.subtasks if t.status is not T.CANCELLED]


MODEL_DAY = date(2026, 11, 2)  # a Monday; the model's moves all happen on it
MODEL_CALENDAR = WorkingCalendar()


def apply_move(c: CaseFacts, action: Action) -> CaseFacts:
    """What ``tracker.services.cases.act`` changes after ``check`` allowed ``action``: the
    domain's own ``effects`` (the function the service persists), applied to the model case.
    Contact letters go to the model's two cooperating offices."""
    timing = Timing(
        received_on=MODEL_DAY,
        promised_days=20,
        statutory_days=20,
        clock_start_on=MODEL_DAY if c.accepted else None,
        extension_requested_days=1 if c.extension_pending else None,
    )
    changes = effects(
        action, c, timing, MODEL_DAY, MODEL_CALENDAR, {"days": 1, "delivery_method": "online"}
    )
    after = facts_after(c, action, changes)
    if changes.sends_contact_letters and not live(c):
        first = len(c.subtasks) + 1
        after = replace(
            after,
            subtasks=after.subtasks
            + tuple(
                task(T.SENT, office, id=first + i) for i, office in enumerate(COOPERATING_OFFICES)
            ),
        )
    return after


def apply_subtask_move(c: CaseFacts, index: int, new: T) -> CaseFacts:
    """What ``act_on_subtask`` changes: the status, and ``was_accepted`` once accepted."""
    t = c.subtasks[index]
    moved = replace(t, status=new, was_accepted=t.was_accepted or new is T.ACCEPTED)
    return replace(c, subtasks=c.subtasks[:index] + (moved,) + c.subtasks[index + 1 :])


def filed(mode: HandlingMode) -> CaseFacts:
    return case(S.RECEIVED, mode)


def successors(c: CaseFacts) -> Iterator[tuple[Action, ActorFacts, CaseFacts]]:
    for action in TABLE_ORDER:
        for actor in MACHINE_ACTORS:
            if check_allows(action, c, actor):
                yield action, actor, apply_move(c, action)
    for i, t in enumerate(c.subtasks):
        for action in SUBTASK_ACTIONS:
            for actor in MACHINE_ACTORS:
                if subtask_allows(action, c, t, actor):
                    new = check_subtask(action, c, t, actor, REASON)
                    yield action, actor, apply_subtask_move(c, i, new)


def assert_case_invariants(c: CaseFacts) -> None:
    """What must hold in every case the workflow can produce."""
    assert c.status in set(CaseStatus)
    # Acceptance and the states agree.
    if c.status in (S.RECEIVED, S.RETRACTED, S.NOT_ACCEPTED):
        assert not c.accepted, c
    if c.status in USUALLY_ACCEPTED - {S.CANCELLED}:
        assert c.accepted, c
    assert not c.extension_pending or c.accepted
    # Custody only ever moves from the receiving to the competent office.
    assert c.custody_office_id in (c.receiving_office_id, c.competent_office_id)
    if c.mode is not AHDT:
        assert c.custody_office_id == c.competent_office_id and not c.checks
    if c.custody_office_id != c.receiving_office_id:
        assert c.checks == CHECKED, "forwarded without the intake checks"
    # Sub-tasks exist only in joint handling, and none stays open on a closed case.
    assert c.mode is JOINT or not c.subtasks
    if c.status.is_closed:
        assert all(t.status in (T.DONE, T.CANCELLED) for t in c.subtasks)
    if c.status in (S.APPROVED, S.APPROVED_TOLERATED) and c.mode is JOINT:
        assert live(c) and all(t.status is T.DONE for t in live(c))
    assert not c.delivered or c.status in DELIVERABLE
    for t in c.subtasks:
        assert t.status is not T.ACCEPTED or t.was_accepted
        assert t.status is not T.DONE or t.was_accepted


def assert_actor_invariants(c: CaseFacts) -> None:
    """The buttons a page shows are exactly the moves ``check`` allows."""
    for actor in MACHINE_ACTORS:
        shown = available_actions(c, actor)
        assert len(shown) == len(set(shown))
        assert shown == [a for a in TABLE_ORDER if check_allows(a, c, actor)]
        if c.status.is_closed:
            assert set(shown) <= {A.DELIVER}
        for t in c.subtasks:
            st_shown = available_subtask_actions(c, t, actor)
            assert st_shown == [a for a in SUBTASK_ACTIONS if subtask_allows(a, c, t, actor)]
    for outsider in OUTSIDERS:
        assert available_actions(c, outsider) == []
        assert all(available_subtask_actions(c, t, outsider) == [] for t in c.subtasks)
    assert set(available_actions(c, SYSTEM)) <= {A.DEEM_ACCEPTED}
    if c.status in OPEN_STATES:
        # The applicant can always step back, in the right words; the holder can always cancel.
        steps = {A.WITHDRAW} if c.accepted else {A.RETRACT}
        assert set(available_actions(c, APPLICANT)) & {A.RETRACT, A.WITHDRAW} == steps
        holder = COMPETENT_CLERK if c.custody_office_id == COMPETENT else RECEIVING_CLERK
        assert A.CANCEL in available_actions(c, holder)


class CaseWorkflowMachine(RuleBasedStateMachine):
    """Random moves by random people on one case; only allowed moves change it."""

    def __init__(self) -> None:
        super().__init__()
        self.case: CaseFacts = filed(ONLINE)
        self.closed_as: CaseStatus | None = None
        self.moves: list[tuple[CaseStatus, Action, CaseStatus]] = []

    @initialize(mode=st.sampled_from(MODES))
    def file_a_case(self, mode: HandlingMode) -> None:
        self.case = filed(mode)

    def _record(self, before: CaseFacts, action: Action, after: CaseFacts) -> None:
        edge = (before.status, action, after.status)
        assert edge in EDGES, edge
        self.moves.append(edge)
        self.case = after

    @rule(
        action=st.sampled_from(list(Action)),
        actor=st.sampled_from(MACHINE_ACTORS),
        reason=st.sampled_from([None, "", "  ", REASON]),
    )
    def anyone_tries_anything(self, action: Action, actor: ActorFacts, reason: str | None) -> None:
        before = self.case
        try:
            t = check(action, before, actor, reason)
        except ReasonRequired:
            assert TRANSITIONS_BY_ACTION[action].reason_required
            assert not (reason or "").strip()
            assert can(action, before, actor)
            return
        except TransitionNotAllowed:
            assert not can(action, before, actor)
            return
        assert t.action is action
        self._record(before, action, apply_move(before, action))

    @rule(data=st.data())
    def someone_makes_an_allowed_move(self, data: st.DataObject) -> None:
        before = self.case
        moves = [
            (a, actor)
            for a in TABLE_ORDER
            for actor in MACHINE_ACTORS
            if check_allows(a, before, actor)
        ]
        if not moves:
            return
        action, actor = data.draw(st.sampled_from(moves), label="move")
        if action is A.ACCEPT and before.mode is AHDT:
            # Accept here, decide there: only after the intake checks and the forwarding.
            assert before.custody_office_id == COMPETENT and before.checks == CHECKED
        self._record(before, action, apply_move(before, action))

    @precondition(lambda self: bool(self.case.subtasks))
    @rule(
        data=st.data(),
        action=st.sampled_from(SUBTASK_ACTIONS),
        actor=st.sampled_from(MACHINE_ACTORS),
    )
    def an_office_works_a_subtask(
        self, data: st.DataObject, action: Action, actor: ActorFacts
    ) -> None:
        index = data.draw(st.integers(0, len(self.case.subtasks) - 1), label="subtask")
        t = self.case.subtasks[index]
        try:
            new = check_subtask(action, self.case, t, actor, REASON)
        except TransitionNotAllowed:
            return
        assert new is EXPECTED_SUBTASK_TARGET[action](t)
        self.case = apply_subtask_move(self.case, index, new)

    @invariant()
    def status_is_known_and_closed_is_final(self) -> None:
        assert isinstance(self.case.status, CaseStatus)
        if self.closed_as is not None:
            assert self.case.status is self.closed_as, "a closed case changed state"
        elif self.case.status.is_closed:
            self.closed_as = self.case.status

    @invariant()
    def case_is_consistent(self) -> None:
        assert_case_invariants(self.case)

    @invariant()
    def buttons_match_the_rules(self) -> None:
        assert_actor_invariants(self.case)


CaseWorkflowMachine.TestCase.settings = settings(
    max_examples=120,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestCaseWorkflowMachine = CaseWorkflowMachine.TestCase


# ---- 4b. exhaustive walk over the same model -----------------------------------------------

MAX_SUBTASKS = 4  # two rounds of contact letters is enough to see every sub-task situation


Graph = dict[CaseFacts, list[tuple[Action, CaseFacts]]]


def explore(start: CaseFacts) -> Graph:
    """Every case reachable from ``start`` by allowed moves, with the moves out of it."""
    graph: Graph = {}
    queue = deque([start])
    while queue:
        c = queue.popleft()
        if c in graph:
            continue
        graph[c] = []
        for action, _actor, nxt in successors(c):
            if len(nxt.subtasks) > MAX_SUBTASKS:
                continue
            graph[c].append((action, nxt))
            if nxt not in graph:
                queue.append(nxt)
    return graph


@pytest.fixture(scope="module")
def reachable() -> dict[HandlingMode, Graph]:
    return {mode: explore(filed(mode)) for mode in MODES}


def can_reach(
    graph: Graph,
    goal: Callable[[CaseFacts], bool],
    using: Callable[[Action], bool],
) -> set[CaseFacts]:
    """The states from which a ``goal`` state is reachable with moves ``using`` allows."""
    back: dict[CaseFacts, list[CaseFacts]] = {c: [] for c in graph}
    for c, moves in graph.items():
        for action, nxt in moves:
            if using(action) and nxt in back:
                back[nxt].append(c)
    found = {c for c in graph if goal(c)}
    queue = deque(found)
    while queue:
        for prev in back[queue.popleft()]:
            if prev not in found:
                found.add(prev)
                queue.append(prev)
    return found


@pytest.mark.parametrize("mode", MODES)
def test_every_reachable_case_keeps_the_invariants(reachable, mode: HandlingMode):
    graph = reachable[mode]
    assert len(graph) > 20
    for c, moves in graph.items():
        assert_case_invariants(c)
        assert_actor_invariants(c)
        for action, nxt in moves:
            if c.status.is_closed:
                assert nxt.status is c.status and action is A.DELIVER
            if action in CASE_ACTIONS:
                assert (c.status, action, nxt.status) in EDGES


def test_every_edge_of_the_graph_is_reachable(reachable):
    """No dead rows: each (source, action) of the table happens in some mode."""
    seen = {
        (c.status, action, nxt.status)
        for graph in reachable.values()
        for c, moves in graph.items()
        for action, nxt in moves
        if action in CASE_ACTIONS
    }
    assert seen == EDGES


@pytest.mark.parametrize("mode", MODES)
def test_an_open_case_can_always_still_be_decided(reachable, mode: HandlingMode):
    """Without the applicant stepping back or the office cancelling, a decision is reachable."""
    assert stuck_cases(reachable[mode]) == []


STEPPING_BACK = {A.RETRACT, A.WITHDRAW, A.CANCEL}


def stuck_cases(graph: Graph, *, also_without: frozenset[Action] = frozenset()) -> list[CaseFacts]:
    """Open cases from which no decision (办结 or 不予受理) can be reached by the offices."""
    decided = can_reach(
        graph,
        lambda c: c.status in DECISIONS | {S.NOT_ACCEPTED},
        lambda a: a not in STEPPING_BACK | also_without,
    )
    return [c for c in graph if c.status in OPEN_STATES and c not in decided]


# ---- findings that were fixed (kept as regressions) ----------------------------------------


def test_deemed_acceptance_does_not_strand_an_ahdt_case_at_the_intake_office(reachable):
    fresh = case(S.RECEIVED, AHDT)  # at the receiving counter, checks not yet done
    if not check_allows(A.DEEM_ACCEPTED, fresh, SYSTEM):
        return  # fixed by not deeming acceptance before the competent office has the file
    deemed = apply_move(fresh, A.DEEM_ACCEPTED)
    # Fixed the other way: the intake office can still finish its checks and forward.
    assert deemed not in stuck_cases(
        reachable[AHDT], also_without=frozenset({A.REQUEST_SUPPLEMENT})
    )


# ---- findings that were fixed (kept as regressions) ----------------------------------------


def test_a_joint_case_filed_at_another_counter_can_still_be_decided():
    try:
        check_office_choice(
            mode=JOINT,
            service_department="hf",
            competent_department="hf",
            receiving_policy="any",
            receiving=OfficeFacts(RECEIVING, "hf", "510104"),
            competent=OfficeFacts(COMPETENT, "hf", "500112"),
        )
    except OfficeChoiceError:
        return  # fixed by filing joint cases only at the lead (competent) office
    filed_elsewhere = replace(
        case(S.RECEIVED, JOINT), receiving_office_id=RECEIVING, custody_office_id=RECEIVING
    )
    graph = explore(filed_elsewhere)
    assert stuck_cases(graph) == []


def test_a_joint_case_whose_subtasks_were_all_cancelled_can_send_new_letters():
    c = case(S.PROCESSING, JOINT, subtasks=(task(T.CANCELLED, COOP_A, id=1),))
    approvable = can_reach(
        explore(c),
        lambda x: x.status is S.APPROVED,
        lambda a: a not in {A.START_SPECIAL, A.REQUEST_SUPPLEMENT},
    )
    assert c in approvable
