"""Delivering a decision (送达): online, by post (an EMS waybill number, its status updated by
the clerk), or collected at the receiving counter (a pickup code the applicant shows; the
clerk marks it collected after checking the code).

``delivery_status`` of a case: ``online`` (the document is on the applicant's page), ``sent``
then ``delivered`` (post), ``awaiting_pickup`` then ``collected`` (counter).
"""

from __future__ import annotations

import hmac
import re

from .errors import DomainError
from .states import DeliveryMethod
from .text import N_, Named, Text

PICKUP_CODE_LENGTH = 6
WAYBILL = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,31}$")
RESULT_MATERIAL = "_result"  # the material code of the result document (证照、批文、决定书)

ONLINE, SENT, DELIVERED, AWAITING_PICKUP, COLLECTED = (
    "online",
    "sent",
    "delivered",
    "awaiting_pickup",
    "collected",
)
STATUS_WORDS: dict[str, Text] = {
    ONLINE: N_("已网上送达"),
    SENT: N_("已寄出"),
    DELIVERED: N_("已签收"),
    AWAITING_PICKUP: N_("待领取"),
    COLLECTED: N_("已领取"),
}
# The one step after the first: method → (from, to).
NEXT_STATUS: dict[str, tuple[str, str]] = {
    DeliveryMethod.POST.value: (SENT, DELIVERED),
    DeliveryMethod.COUNTER.value: (AWAITING_PICKUP, COLLECTED),
}


def first_status(method: str) -> str:
    return {
        DeliveryMethod.ONLINE.value: ONLINE,
        DeliveryMethod.POST.value: SENT,
        DeliveryMethod.COUNTER.value: AWAITING_PICKUP,
    }[method]


def clean_waybill(raw: object) -> str:
    """An EMS waybill number as recorded: upper case, no spaces; a ``DomainError`` if it
    is missing or not a waybill number."""
    ref = re.sub(r"\s+", "", str(raw or "")).upper()
    if not ref:
        raise DomainError(N_("邮寄送达请填写快递单号"), code="delivery_ref")
    if not WAYBILL.match(ref):
        raise DomainError(
            N_("快递单号只能包含字母、数字和连字符（不超过32位）"), code="delivery_ref"
        )
    return ref


def pickup_code_from(random_digits: str) -> str:
    """The pickup code: ``PICKUP_CODE_LENGTH`` digits (the services give random ones)."""
    code = "".join(ch for ch in random_digits if ch.isdigit())[:PICKUP_CODE_LENGTH]
    if len(code) != PICKUP_CODE_LENGTH:
        raise ValueError("not enough digits for a pickup code")
    return code


def next_status(method: str | None, status: str | None, *, code: str = "", stored: str = "") -> str:
    """The delivery's next status, or a ``DomainError`` that says why not: only a posted or
    counter delivery moves once more; collection needs the pickup code the applicant shows."""
    step = NEXT_STATUS.get(method or "")
    if step is None or status != step[0]:
        raise DomainError(N_("该送达已完成，无需更新"), code="delivery_done")
    if step[1] == COLLECTED:
        given = re.sub(r"\s+", "", code or "")
        if not given:
            raise DomainError(N_("请输入申请人出示的领取码"), code="pickup_code")
        if not hmac.compare_digest(given.encode(), (stored or "").encode()):
            raise DomainError(N_("领取码不正确，请核对后重试"), code="pickup_code")
    return step[1]


def delivery_words(method: str, ref: str | None) -> Text:
    """What the applicant is told when the result goes out (the notice's 说明)."""
    if method == DeliveryMethod.POST.value:
        return N_("已通过EMS寄出，运单号：%(ref)s。", ref=Named(ref or "", ref or ""))
    if method == DeliveryMethod.COUNTER.value:
        return N_(
            "请携带身份证件到收件窗口领取，领取码：%(code)s（请勿告诉他人）。",
            code=Named(ref or "", ref or ""),
        )
    return N_("办理结果已发布在您的办件页面，可直接下载。")


def update_words(status: str) -> Text:
    """What the applicant is told when the delivery moves on."""
    if status == DELIVERED:
        return N_("邮件已签收。")
    return N_("结果已在窗口领取。")
