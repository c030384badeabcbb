"""The sub-tasks of a joint case (多地联办): one transition table like the case workflow's.

The lead office (which holds the case) sends a numbered contact letter to each cooperating
office; the cooperating office accepts and completes it; either side may open a negotiation
(协商) and resolve it; the lead may cancel only before the other side has accepted.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ReasonRequired, TransitionNotAllowed
from .states import OPEN_STATES, HandlingMode, Role, SubTaskStatus
from .text import N_, Named
from .workflow import Action, ActorFacts, CaseFacts, Party, SubTaskFacts


@dataclass(frozen=True)
class SubTaskTransition:
    action: Action
    sources: frozenset[SubTaskStatus]
    parties: frozenset[Party]
    reason_required: bool = False
    only_if_never_accepted: bool = False


T = SubTaskStatus
SUBTASK_TRANSITIONS: tuple[SubTaskTransition, ...] = (
    SubTaskTransition(
        Action.SUBTASK_ACCEPT, frozenset({T.SENT}), frozenset({Party.COOPERATING_OFFICE})
    ),
    SubTaskTransition(
        Action.SUBTASK_NEGOTIATE,
        frozenset({T.SENT, T.ACCEPTED}),
        frozenset({Party.COOPERATING_OFFICE, Party.LEAD_OFFICE}),
        reason_required=True,
    ),
    SubTaskTransition(
        Action.SUBTASK_RESUME,
        frozenset({T.NEGOTIATING}),
        frozenset({Party.COOPERATING_OFFICE, Party.LEAD_OFFICE}),
        reason_required=True,
    ),
    SubTaskTransition(
        Action.SUBTASK_COMPLETE, frozenset({T.ACCEPTED}), frozenset({Party.COOPERATING_OFFICE})
    ),
    # The lead (e.g. transfer-in centre) may cancel only before the other side has accepted.
    SubTaskTransition(
        Action.SUBTASK_CANCEL,
        frozenset({T.SENT, T.NEGOTIATING}),
        frozenset({Party.LEAD_OFFICE}),
        reason_required=True,
        only_if_never_accepted=True,
    ),
)
SUBTASK_TRANSITIONS_BY_ACTION = {t.action: t for t in SUBTASK_TRANSITIONS}


def _named(action: Action) -> Named:
    return Named(action.label_zh, action.label_en)


def subtask_next_status(action: Action, task: SubTaskFacts) -> SubTaskStatus:
    if action is Action.SUBTASK_ACCEPT:
        return T.ACCEPTED
    if action is Action.SUBTASK_NEGOTIATE:
        return T.NEGOTIATING
    if action is Action.SUBTASK_RESUME:
        return T.ACCEPTED if task.was_accepted else T.SENT
    if action is Action.SUBTASK_COMPLETE:
        return T.DONE
    if action is Action.SUBTASK_CANCEL:
        return T.CANCELLED
    raise TransitionNotAllowed(N_("“%(action)s”不是协办任务操作", action=_named(action)))


def subtask_refusal(
    action: Action, case: CaseFacts, task: SubTaskFacts, actor: ActorFacts
) -> str | None:
    t = SUBTASK_TRANSITIONS_BY_ACTION.get(action)
    if t is None:
        return N_("“%(action)s”不是协办任务操作", action=_named(action))
    if case.mode is not HandlingMode.JOINT or case.status not in OPEN_STATES:
        return N_("办件不在联办办理中")
    if t.only_if_never_accepted and task.was_accepted and task.status is not T.CANCELLED:
        return N_("对方已接收协办任务，不能再撤销，请发起协商")
    if task.status not in t.sources:
        return N_(
            "协办任务当前为“%(status)s”，不能%(action)s",
            status=Named(task.status.label_zh, task.status.label_en),
            action=_named(action),
        )
    if actor.role is not Role.CLERK or actor.office_id is None:
        return N_("只有经办人员可以处理协办任务")
    parties = set()
    if actor.office_id == task.office_id:
        parties.add(Party.COOPERATING_OFFICE)
    if actor.office_id == case.custody_office_id:
        parties.add(Party.LEAD_OFFICE)
    if not parties & t.parties:
        return N_("无权对该协办任务执行“%(action)s”", action=_named(action))
    return None


def check_subtask(
    action: Action,
    case: CaseFacts,
    task: SubTaskFacts,
    actor: ActorFacts,
    reason: str | None = None,
) -> SubTaskStatus:
    why = subtask_refusal(action, case, task, actor)
    if why is not None:
        raise TransitionNotAllowed(why)
    if SUBTASK_TRANSITIONS_BY_ACTION[action].reason_required and not (reason or "").strip():
        raise ReasonRequired(N_("“%(action)s”须填写理由", action=_named(action)))
    return subtask_next_status(action, task)


def available_subtask_actions(
    case: CaseFacts, task: SubTaskFacts, actor: ActorFacts
) -> list[Action]:
    return [
        t.action
        for t in SUBTASK_TRANSITIONS
        if subtask_refusal(t.action, case, task, actor) is None
    ]
