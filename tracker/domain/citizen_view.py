"""The case as its applicant (and the public tracker) reads it: plain language.

Internal steps (claim, assign, release, the intake checks, sub-tasks, an extension asked for
or refused inside the office) are hidden; each visible step says what happened and what comes
next. ``next_step`` says where the case stands now — a supplement answered before acceptance
waits for acceptance, it is not "being processed".
"""

from __future__ import annotations

from .states import CaseStatus, is_completed
from .text import N_, Text
from .workflow import Action

S = CaseStatus

# action -> (what happened, what comes next). An action not here is not shown to the applicant.
CITIZEN_STEPS: dict[Action, tuple[Text, Text]] = {
    Action.SUBMIT: (N_("您提交了申请"), N_("部门将在5个工作日内决定是否受理。")),
    Action.RETRACT: (N_("您撤回了申请"), N_("办件已结束，如需办理请重新申请。")),
    Action.FORWARD: (
        N_("收件部门核对了材料和身份，转至办理地部门"),
        N_("等待办理地部门受理。"),
    ),
    Action.ACCEPT: (N_("部门受理了您的申请"), N_("部门将在承诺办结日期前作出决定。")),
    Action.DEEM_ACCEPTED: (
        N_("部门未在5个工作日内答复，依法视为受理"),
        N_("部门将在承诺办结日期前作出决定。"),
    ),
    Action.REJECT: (
        N_("部门决定不予受理"),
        N_("可按说明向有权部门申请，或依法申请行政复议、提起行政诉讼。"),
    ),
    Action.REQUEST_SUPPLEMENT: (
        N_("部门请您补正材料（一次性告知）"),
        N_("请按清单补正材料后重新提交；补正期间办理时限暂停。"),
    ),
    Action.SUBMIT_SUPPLEMENT: (N_("您提交了补正材料"), N_("等待部门审核补正材料。")),
    Action.START_PROCESSING: (N_("部门开始办理"), N_("部门将在承诺办结日期前作出决定。")),
    Action.START_SPECIAL: (
        N_("办件进入特别程序（听证、检验、专家评审等）"),
        N_("特别程序期间不计入办理时限，结束后部门继续办理。"),
    ),
    Action.END_SPECIAL: (N_("特别程序结束"), N_("部门继续办理，办理时限恢复计算。")),
    Action.APPROVE_EXTENSION: (
        N_("经批准，办理时限延长"),
        N_("部门将在新的承诺办结日期前作出决定。"),
    ),
    Action.APPROVE: (N_("部门作出决定：准予办理"), N_("等待结果送达。")),
    Action.APPROVE_TOLERATED: (
        N_("部门作出决定：容缺准予办理"),
        N_("请按要求补齐所缺材料；等待结果送达。"),
    ),
    Action.REFUSE: (
        N_("部门作出决定：不予办理"),
        N_("如有异议，可依法申请行政复议或提起行政诉讼。"),
    ),
    Action.DELIVER: (N_("办理结果已送出"), N_("请按送达方式查收结果。")),
    Action.MARK_DELIVERED: (N_("邮件已签收"), N_("送达完成。")),
    Action.MARK_COLLECTED: (N_("结果已在窗口领取"), N_("送达完成。")),
    Action.WITHDRAW: (N_("您撤回了申请"), N_("办件已结束。")),
    Action.CANCEL: (N_("部门撤销了办件"), N_("如有疑问请联系办理部门或拨打12345。")),
    Action.RATE: (N_("您评价了本次服务"), N_("如为差评，办理部门将核实整改并答复您。")),
    Action.FOLLOW_UP_RATE: (N_("您追加了评价"), N_("追加评价已收到。")),
}


def is_visible(action: Action | str) -> bool:
    """Whether the applicant sees this step on the case's timeline."""
    try:
        return Action(action) in CITIZEN_STEPS
    except ValueError:
        return False


def step_words(action: Action | str) -> tuple[Text, Text] | None:
    """(what happened, what comes next) of a visible step; None for an internal one."""
    try:
        return CITIZEN_STEPS.get(Action(action))
    except ValueError:
        return None


def next_step(status: CaseStatus, *, accepted: bool, rated: bool, delivered: bool) -> Text:
    """Where the case stands now and what the applicant can expect, in plain words."""
    if status is S.SUPPLEMENT_REQUESTED:
        return N_("请按补正通知补充或更正材料后重新提交，补正期间办理时限暂停。")
    if status in (S.RECEIVED, S.SUPPLEMENTED) and not accepted:
        return N_("等待受理：部门将在5个工作日内决定是否受理，受理前您可以撤件。")
    if is_completed(status):
        if not delivered:
            return N_("办件已办结，等待结果送达。")
        if not rated:
            return N_("办件已办结，结果已送出，欢迎对本次服务进行评价。")
        return N_("办件已办结，您的评价已收到。")
    if status.is_closed:
        return N_("办件已结束。")
    if status is S.SPECIAL_PROCEDURE:
        return N_("特别程序进行中，期间不计入办理时限。")
    return N_("部门正在办理，请留意通知。")


def pending_due_words(year: int) -> Text:
    """A due date waiting for a year's official calendar, said in words."""
    return N_(
        "承诺办结日期待定：%(y)s 年法定节假日安排尚未公布，公布并载入后系统自动算出承诺办结日期并通知您。",
        y=year,
    )
