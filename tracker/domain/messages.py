"""What the applicant is told on every change: what happened, and what to do next."""

from __future__ import annotations

from datetime import date

from .text import N_, Day, Text
from .workflow import Action

_NEXT: dict[Action, tuple[Text, Text]] = {
    Action.SUBMIT: (N_("申请已提交"), N_("您的申请已提交，等待受理。您可随时凭办件编号查询进度。")),
    Action.RETRACT: (N_("申请已撤件"), N_("您已撤回申请，办件结束。如需办理请重新申请。")),
    Action.FORWARD: (
        N_("已转至办理地"),
        N_("收件地已完成形式审查和身份核验，材料已转至办理地部门，请等待受理。"),
    ),
    Action.ACCEPT: (N_("申请已受理"), N_("您的申请已受理。")),
    Action.DEEM_ACCEPTED: (
        N_("申请视为已受理"),
        N_(
            "收件部门未在5个工作日内作出答复，依照《行政许可法》第三十二条，自收到材料之日起即为受理。"
        ),
    ),
    Action.REJECT: (
        N_("申请不予受理"),
        N_("您的申请不予受理。如有异议，可依法申请行政复议或提起行政诉讼。"),
    ),
    Action.REQUEST_SUPPLEMENT: (
        N_("请补正材料"),
        N_("请按一次性告知的清单补正材料后重新提交；补正期间办理时限暂停计算。"),
    ),
    Action.SUBMIT_SUPPLEMENT: (
        N_("补正材料已提交"),
        N_("您提交的补正材料已收到，办理时限恢复计算。"),
    ),
    Action.START_PROCESSING: (N_("开始办理"), N_("部门已开始办理您的申请。")),
    Action.START_SPECIAL: (
        N_("进入特别程序"),
        N_("您的申请进入特别程序（听证、检验、检测、专家评审等），该期间不计入办理时限。"),
    ),
    Action.END_SPECIAL: (N_("特别程序结束"), N_("特别程序已结束，办理时限恢复计算。")),
    Action.APPROVE_EXTENSION: (N_("办理时限延长"), N_("经批准，您的办件办理时限已延长。")),
    Action.APPROVE: (N_("办结：通过"), N_("您的申请已办结（通过）。欢迎对本次服务进行评价。")),
    Action.APPROVE_TOLERATED: (
        N_("办结：容缺通过"),
        N_("您的申请已容缺办结（通过），请按要求尽快补齐所缺材料。欢迎对本次服务进行评价。"),
    ),
    Action.REFUSE: (
        N_("办结：不通过"),
        N_(
            "您的申请未获通过。如有异议，可依法申请行政复议或提起行政诉讼。欢迎对本次服务进行评价。"
        ),
    ),
    Action.DELIVER: (N_("结果已送达"), N_("办理结果已送达，请注意查收。")),
    Action.MARK_DELIVERED: (N_("邮件已签收"), N_("寄给您的办理结果已签收。")),
    Action.MARK_COLLECTED: (N_("结果已领取"), N_("办理结果已在窗口领取。")),
    Action.WITHDRAW: (N_("申请已撤回"), N_("您已撤回申请，办件结束。")),
    Action.CANCEL: (
        N_("办件已撤销"),
        N_("办理部门已撤销该办件。如有疑问请联系办理部门或拨打12345。"),
    ),
}


_TELLS_DUE_DATE = (
    Action.ACCEPT,
    Action.DEEM_ACCEPTED,
    Action.SUBMIT_SUPPLEMENT,
    Action.END_SPECIAL,
    Action.APPROVE_EXTENSION,
)


def applicant_notice(
    action: Action,
    *,
    service_name: str,
    tracking_number: str,
    reason: str | None = None,
    due_on: date | None = None,
) -> tuple[Text, list[Text]] | None:
    """Title and the lines of the notice for ``action`` (``Text``: Chinese that keeps its msgid,
    so the web can show it in English; ``service_name`` may be a ``Named``), or None when the
    applicant is not told."""
    if action not in _NEXT:
        return None
    title, body = _NEXT[action]
    lines = [
        N_(
            "【%(service)s】办件 %(number)s：%(body)s",
            service=service_name,
            number=tracking_number,
            body=body,
        )
    ]
    if reason:
        lines.append(N_("说明：%(reason)s", reason=reason))
    if due_on is not None and action in _TELLS_DUE_DATE:
        day = Day(due_on)
        lines.append(N_("承诺办结日期：%(date)s。", date=day))
    return title, lines


def applicant_message(
    action: Action,
    *,
    service_name: str,
    tracking_number: str,
    reason: str | None = None,
    due_on: date | None = None,
) -> tuple[str, str] | None:
    """Title and body of the notice for ``action`` in Chinese, or None when the applicant is
    not told."""
    notice = applicant_notice(
        action,
        service_name=service_name,
        tracking_number=tracking_number,
        reason=reason,
        due_on=due_on,
    )
    if notice is None:
        return None
    title, lines = notice
    return title, "\n".join(lines)


#: ``Notification.params["notice"]`` of a due date fixed once its year's calendar was loaded.
DUE_DATE_FIXED = "due_date_fixed"


def due_date_fixed_notice(
    *, service_name: str, tracking_number: str, year: int, due_on: date
) -> tuple[Text, list[Text]]:
    """The notice sent when a due date that waited for a year's official holiday schedule is
    computed (the schedule was loaded after the case was accepted)."""
    day = Day(due_on)
    return N_("承诺办结日期已确定"), [
        N_(
            "【%(service)s】办件 %(number)s：%(year)s年法定节假日安排已公布，承诺办结日期已按工作日计算确定。",
            service=service_name,
            number=tracking_number,
            year=year,
        ),
        N_("承诺办结日期：%(date)s。", date=day),
    ]
