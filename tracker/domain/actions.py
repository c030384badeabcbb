"""Every move a case can make (the workflow's, the sub-tasks', custody and rating), with its
Chinese and English label. The rules about them are in ``workflow.py`` and ``subtasks.py``
(which re-export ``Action``, where most callers import it from)."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    SUBMIT = "submit"
    RETRACT = "retract"  # 撤件: applicant, before acceptance
    FORMAL_CHECK = "formal_check"  # 形式审查 at the receiving office
    IDENTITY_CHECK = "identity_check"  # 身份核验 at the receiving office
    FORWARD = "forward"  # to the competent office (代收代办)
    ACCEPT = "accept"
    DEEM_ACCEPTED = "deem_accepted"  # Art. 32: no answer within 5 working days
    REJECT = "reject"  # 不予受理
    REQUEST_SUPPLEMENT = "request_supplement"
    SUBMIT_SUPPLEMENT = "submit_supplement"
    START_PROCESSING = "start_processing"
    SEND_CONTACT_LETTERS = "send_contact_letters"  # joint: new letters after all were cancelled
    START_SPECIAL = "start_special_procedure"
    END_SPECIAL = "end_special_procedure"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    REFUSE_EXTENSION = "refuse_extension"
    APPROVE = "approve"
    APPROVE_TOLERATED = "approve_tolerated"
    REFUSE = "refuse"
    DELIVER = "deliver"
    WITHDRAW = "withdraw"  # 撤回: applicant, after acceptance, before decision
    CANCEL = "cancel"  # 撤销: the office
    # Sub-tasks of a joint case (多地联办)
    SUBTASK_ACCEPT = "subtask_accept"
    SUBTASK_NEGOTIATE = "subtask_negotiate"
    SUBTASK_RESUME = "subtask_resume"
    SUBTASK_COMPLETE = "subtask_complete"
    SUBTASK_CANCEL = "subtask_cancel"
    # Custody inside the office, not state changes
    CLAIM = "claim"
    ASSIGN = "assign"
    RELEASE = "release"
    RATE = "rate"
    # The delivery's second step (not state changes): a posted result signed for, a counter
    # result collected (tracker/domain/delivery.py)
    MARK_DELIVERED = "mark_delivered"
    MARK_COLLECTED = "mark_collected"
    FOLLOW_UP_RATE = "follow_up_rate"  # 追评 after the office's reply to a bad rating

    @property
    def label_zh(self) -> str:
        return ACTION_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return ACTION_LABELS[self][1]


ACTION_LABELS: dict[Action, tuple[str, str]] = {
    Action.SUBMIT: ("提交申请", "Submitted"),
    Action.RETRACT: ("撤件", "Withdraw application"),
    Action.FORMAL_CHECK: ("形式审查", "Formal check"),
    Action.IDENTITY_CHECK: ("身份核验", "Identity check"),
    Action.FORWARD: ("转办至办理地", "Forward to competent office"),
    Action.ACCEPT: ("受理", "Accept"),
    Action.DEEM_ACCEPTED: ("逾期视为受理", "Deemed accepted (5-day rule)"),
    Action.REJECT: ("不予受理", "Refuse to accept"),
    Action.REQUEST_SUPPLEMENT: ("一次性告知补正", "Request supplements"),
    Action.SUBMIT_SUPPLEMENT: ("提交补正材料", "Submit supplements"),
    Action.START_PROCESSING: ("开始办理", "Start processing"),
    Action.SEND_CONTACT_LETTERS: ("重新发送联系函", "Send contact letters again"),
    Action.START_SPECIAL: ("启动特别程序", "Start special procedure"),
    Action.END_SPECIAL: ("结束特别程序", "End special procedure"),
    Action.REQUEST_EXTENSION: ("申请延期", "Request extension"),
    Action.APPROVE_EXTENSION: ("批准延期", "Approve extension"),
    Action.REFUSE_EXTENSION: ("驳回延期", "Refuse extension"),
    Action.APPROVE: ("办结（通过）", "Approve"),
    Action.APPROVE_TOLERATED: ("容缺通过", "Approve, tolerating missing material"),
    Action.REFUSE: ("办结（不通过）", "Refuse"),
    Action.DELIVER: ("送达结果", "Deliver result"),
    Action.WITHDRAW: ("撤回申请", "Withdraw"),
    Action.CANCEL: ("撤销", "Cancel"),
    Action.SUBTASK_ACCEPT: ("接收协办任务", "Accept sub-task"),
    Action.SUBTASK_NEGOTIATE: ("发起协商", "Negotiate"),
    Action.SUBTASK_RESUME: ("协商一致", "Resolve negotiation"),
    Action.SUBTASK_COMPLETE: ("完成协办任务", "Complete sub-task"),
    Action.SUBTASK_CANCEL: ("撤销协办任务", "Cancel sub-task"),
    Action.CLAIM: ("认领", "Claim"),
    Action.ASSIGN: ("分派", "Assign"),
    Action.RELEASE: ("释放", "Release"),
    Action.RATE: ("评价", "Rate"),
    Action.MARK_DELIVERED: ("邮件已签收", "Mark as signed for"),
    Action.MARK_COLLECTED: ("窗口已领取", "Mark as collected"),
    Action.FOLLOW_UP_RATE: ("追加评价", "Follow-up rating"),
}
