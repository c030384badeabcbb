"""What the applicant is told on every change: what happened, and what to do next."""

from __future__ import annotations

from datetime import date

from .workflow import Action

_NEXT: dict[Action, tuple[str, str]] = {
    Action.SUBMIT: ("申请已提交", "您的申请已提交，等待受理。您可随时凭办件编号查询进度。"),
    Action.RETRACT: ("申请已撤件", "您已撤回申请，办件结束。如需办理请重新申请。"),
    Action.FORWARD: (
        "已转至办理地",
        "收件地已完成形式审查和身份核验，材料已转至办理地部门，请等待受理。",
    ),
    Action.ACCEPT: ("申请已受理", "您的申请已受理。"),
    Action.DEEM_ACCEPTED: (
        "申请视为已受理",
        "收件部门未在5个工作日内作出答复，依照《行政许可法》第三十二条，自收到材料之日起即为受理。",
    ),
    Action.REJECT: (
        "申请不予受理",
        "您的申请不予受理。如有异议，可依法申请行政复议或提起行政诉讼。",
    ),
    Action.REQUEST_SUPPLEMENT: (
        "请补正材料",
        "请按一次性告知的清单补正材料后重新提交；补正期间办理时限暂停计算。",
    ),
    Action.SUBMIT_SUPPLEMENT: ("补正材料已提交", "您提交的补正材料已收到，办理时限恢复计算。"),
    Action.START_PROCESSING: ("开始办理", "部门已开始办理您的申请。"),
    Action.START_SPECIAL: (
        "进入特别程序",
        "您的申请进入特别程序（听证、检验、检测、专家评审等），该期间不计入办理时限。",
    ),
    Action.END_SPECIAL: ("特别程序结束", "特别程序已结束，办理时限恢复计算。"),
    Action.APPROVE_EXTENSION: ("办理时限延长", "经批准，您的办件办理时限已延长。"),
    Action.APPROVE: ("办结：通过", "您的申请已办结（通过）。欢迎对本次服务进行评价。"),
    Action.APPROVE_TOLERATED: (
        "办结：容缺通过",
        "您的申请已容缺办结（通过），请按要求尽快补齐所缺材料。欢迎对本次服务进行评价。",
    ),
    Action.REFUSE: (
        "办结：不通过",
        "您的申请未获通过。如有异议，可依法申请行政复议或提起行政诉讼。欢迎对本次服务进行评价。",
    ),
    Action.DELIVER: ("结果已送达", "办理结果已送达，请注意查收。"),
    Action.WITHDRAW: ("申请已撤回", "您已撤回申请，办件结束。"),
    Action.CANCEL: ("办件已撤销", "办理部门已撤销该办件。如有疑问请联系办理部门或拨打12345。"),
}


def applicant_message(
    action: Action,
    *,
    service_name: str,
    tracking_number: str,
    reason: str | None = None,
    due_on: date | None = None,
) -> tuple[str, str] | None:
    """Title and body of the notice for ``action``, or None when the applicant is not told."""
    if action not in _NEXT:
        return None
    title, body = _NEXT[action]
    parts = [f"【{service_name}】办件 {tracking_number}：{body}"]
    if reason:
        parts.append(f"说明：{reason}")
    if due_on is not None and action in (
        Action.ACCEPT,
        Action.DEEM_ACCEPTED,
        Action.SUBMIT_SUPPLEMENT,
        Action.END_SPECIAL,
        Action.APPROVE_EXTENSION,
    ):
        parts.append(f"承诺办结日期：{due_on:%Y年%m月%d日}。")
    return title, "\n".join(parts)
