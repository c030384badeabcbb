"""Case states, handling modes and roles, with the sector's 1–15 办件状态 code list beside them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class HandlingMode(StrEnum):
    FULLY_ONLINE = "fully_online"  # 全程网办
    ACCEPT_HERE_DECIDE_THERE = "accept_here_decide_there"  # 异地代收代办 (收受分离)
    JOINT = "joint"  # 多地联办


MODE_LABELS: dict[HandlingMode, tuple[str, str]] = {
    HandlingMode.FULLY_ONLINE: ("全程网办", "Fully online"),
    HandlingMode.ACCEPT_HERE_DECIDE_THERE: ("异地代收代办", "Accept here, decide there"),
    HandlingMode.JOINT: ("多地联办", "Joint handling"),
}


class Role(StrEnum):
    CITIZEN = "citizen"
    CLERK = "clerk"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    SYSTEM = "system"  # scheduled sweeps (the Art. 32 five-day rule)


class CaseStatus(StrEnum):
    RECEIVED = "received"
    RETRACTED = "retracted"
    ACCEPTED = "accepted"
    NOT_ACCEPTED = "not_accepted"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    SUPPLEMENTED = "supplemented"
    PROCESSING = "processing"
    SPECIAL_PROCEDURE = "special_procedure"
    SPECIAL_PROCEDURE_ENDED = "special_procedure_ended"
    APPROVED = "approved"
    APPROVED_TOLERATED = "approved_tolerated"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"

    @property
    def code(self) -> int:
        return STATUS_TABLE[self].code

    @property
    def label_zh(self) -> str:
        return STATUS_TABLE[self].label_zh

    @property
    def label_en(self) -> str:
        return STATUS_TABLE[self].label_en

    @property
    def is_closed(self) -> bool:
        return self in CLOSED_STATES

    @property
    def open311_status(self) -> str:
        return "closed" if self.is_closed else "open"


class ClockEffect(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


@dataclass(frozen=True)
class StatusInfo:
    code: int  # the shared 办件状态 code (two major vendors carry the same list)
    label_zh: str
    label_en: str
    clock: ClockEffect


# The mapping table PRODUCT.md asks to keep beside the enum; exports and integrations use `code`.
STATUS_TABLE: dict[CaseStatus, StatusInfo] = {
    CaseStatus.RECEIVED: StatusInfo(1, "已接件", "Received", ClockEffect.RUNNING),
    CaseStatus.RETRACTED: StatusInfo(
        2, "已撤件", "Withdrawn before acceptance", ClockEffect.STOPPED
    ),
    CaseStatus.ACCEPTED: StatusInfo(3, "已受理", "Accepted", ClockEffect.RUNNING),
    CaseStatus.NOT_ACCEPTED: StatusInfo(5, "不予受理", "Not accepted", ClockEffect.STOPPED),
    CaseStatus.SUPPLEMENT_REQUESTED: StatusInfo(
        6, "补正开始", "Supplement requested", ClockEffect.PAUSED
    ),
    CaseStatus.SUPPLEMENTED: StatusInfo(7, "补正结束", "Supplement received", ClockEffect.RUNNING),
    CaseStatus.PROCESSING: StatusInfo(8, "部门开始办理", "Processing", ClockEffect.RUNNING),
    CaseStatus.SPECIAL_PROCEDURE: StatusInfo(
        9, "特别程序开始", "Special procedure", ClockEffect.PAUSED
    ),
    CaseStatus.SPECIAL_PROCEDURE_ENDED: StatusInfo(
        10, "特别程序结束", "Special procedure ended", ClockEffect.RUNNING
    ),
    CaseStatus.APPROVED: StatusInfo(11, "办结（通过）", "Completed: approved", ClockEffect.STOPPED),
    CaseStatus.APPROVED_TOLERATED: StatusInfo(
        12, "办结（容缺通过）", "Completed: approved, material tolerated", ClockEffect.STOPPED
    ),
    CaseStatus.REFUSED: StatusInfo(13, "办结（不通过）", "Completed: refused", ClockEffect.STOPPED),
    CaseStatus.WITHDRAWN: StatusInfo(14, "撤回", "Withdrawn after acceptance", ClockEffect.STOPPED),
    CaseStatus.CANCELLED: StatusInfo(15, "撤销", "Cancelled by the office", ClockEffect.STOPPED),
}

CLOSED_STATES: frozenset[CaseStatus] = frozenset(
    s for s, info in STATUS_TABLE.items() if info.clock is ClockEffect.STOPPED
)
COMPLETED_STATES: frozenset[CaseStatus] = frozenset(
    {CaseStatus.APPROVED, CaseStatus.APPROVED_TOLERATED, CaseStatus.REFUSED}
)
PAUSED_STATES: frozenset[CaseStatus] = frozenset(
    s for s, info in STATUS_TABLE.items() if info.clock is ClockEffect.PAUSED
)
OPEN_STATES: frozenset[CaseStatus] = frozenset(CaseStatus) - CLOSED_STATES


# The one way to ask; templates get them as Jinja tests (``case.status is paused``).
def is_paused(status: CaseStatus) -> bool:
    """The clock is paused: waiting for supplements or in a special procedure."""
    return status in PAUSED_STATES


def is_completed(status: CaseStatus) -> bool:
    """办结: decided (approved, approved with tolerated material, refused)."""
    return status in COMPLETED_STATES


def is_closed(status: CaseStatus) -> bool:
    """Finished for good: completed, not accepted, withdrawn, retracted or cancelled."""
    return status in CLOSED_STATES


def status_by_code(code: int) -> CaseStatus:
    for status, info in STATUS_TABLE.items():
        if info.code == code:
            return status
    raise KeyError(code)


class SubTaskStatus(StrEnum):
    """A cooperating office's part of a joint case (多地联办)."""

    SENT = "sent"  # contact letter sent, not yet accepted by the cooperating office
    ACCEPTED = "accepted"
    NEGOTIATING = "negotiating"  # 协商中: the offices disagree
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def label_zh(self) -> str:
        return SUBTASK_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return SUBTASK_LABELS[self][1]


SUBTASK_LABELS: dict[SubTaskStatus, tuple[str, str]] = {
    SubTaskStatus.SENT: ("已发函", "Sent"),
    SubTaskStatus.ACCEPTED: ("已接收", "Accepted"),
    SubTaskStatus.NEGOTIATING: ("协商中", "Negotiating"),
    SubTaskStatus.DONE: ("已完成", "Done"),
    SubTaskStatus.CANCELLED: ("已撤销", "Cancelled"),
}


class DeliveryMethod(StrEnum):
    """How a decision reaches the applicant (stored by value in ``cases.delivery_method``)."""

    ONLINE = "online"  # download
    POST = "post"  # EMS waybill number
    COUNTER = "counter"  # pickup code at the receiving counter

    @property
    def label_zh(self) -> str:
        return DELIVERY_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return DELIVERY_LABELS[self][1]


DELIVERY_LABELS: dict[DeliveryMethod, tuple[str, str]] = {
    DeliveryMethod.ONLINE: ("网上送达", "Online"),
    DeliveryMethod.POST: ("邮寄送达", "By post"),
    DeliveryMethod.COUNTER: ("窗口领取", "Collected at the counter"),
}
DELIVERY_METHODS: frozenset[str] = frozenset(m.value for m in DeliveryMethod)
