"""Written notices (行政许可法 Arts. 32, 38, 42, 44-45): which move issues which notice, what
each notice must say, its number and its verification code.

Pure rules: the services gather the facts, ask ``missing_facts`` before writing anything, and
render the notice's text from the templates in ``templates/notices/``.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from .actions import Action
from .text import N_, Text


class NoticeKind(StrEnum):
    ACCEPTANCE = "acceptance"  # 受理通知书
    SUPPLEMENT = "supplement"  # 补正材料通知书 (一次性告知)
    REJECTION = "rejection"  # 不予受理决定书
    EXTENSION = "extension"  # 延长期限告知书
    SPECIAL = "special_procedure"  # 特别程序告知书
    APPROVAL = "approval"  # 准予行政许可决定书
    REFUSAL = "refusal"  # 不予行政许可决定书
    DELIVERY = "delivery"  # 送达告知书 (issued by the delivery step, see services/notices.py)

    @property
    def label_zh(self) -> str:
        return NOTICE_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return NOTICE_LABELS[self][1]


NOTICE_LABELS: dict[NoticeKind, tuple[str, str]] = {
    NoticeKind.ACCEPTANCE: ("受理通知书", "Notice of acceptance"),
    NoticeKind.SUPPLEMENT: ("补正材料通知书", "Notice to supplement materials"),
    NoticeKind.REJECTION: ("不予受理决定书", "Decision not to accept the application"),
    NoticeKind.EXTENSION: ("延长期限告知书", "Notice of extended time limit"),
    NoticeKind.SPECIAL: ("特别程序告知书", "Notice of special procedure"),
    NoticeKind.APPROVAL: ("准予行政许可决定书", "Decision to grant"),
    NoticeKind.REFUSAL: ("不予行政许可决定书", "Decision to refuse"),
    NoticeKind.DELIVERY: ("送达告知书", "Notice of delivery"),
}

# The character in the document number that names the kind: 川成公积金受〔2026〕12号.
NUMBER_MARK: dict[NoticeKind, str] = {
    NoticeKind.ACCEPTANCE: "受",
    NoticeKind.SUPPLEMENT: "补",
    NoticeKind.REJECTION: "不受",
    NoticeKind.EXTENSION: "延",
    NoticeKind.SPECIAL: "特",
    NoticeKind.APPROVAL: "许",
    NoticeKind.REFUSAL: "不许",
    NoticeKind.DELIVERY: "送",
}

KIND_OF_ACTION: dict[Action, NoticeKind] = {
    Action.ACCEPT: NoticeKind.ACCEPTANCE,
    Action.DEEM_ACCEPTED: NoticeKind.ACCEPTANCE,
    Action.REQUEST_SUPPLEMENT: NoticeKind.SUPPLEMENT,
    Action.REJECT: NoticeKind.REJECTION,
    Action.APPROVE_EXTENSION: NoticeKind.EXTENSION,
    Action.START_SPECIAL: NoticeKind.SPECIAL,
    Action.APPROVE: NoticeKind.APPROVAL,
    Action.APPROVE_TOLERATED: NoticeKind.APPROVAL,
    Action.REFUSE: NoticeKind.REFUSAL,
}


class RejectGround(StrEnum):
    """Why an application is not accepted (行政许可法 Art. 32 (1), (2) and the rest)."""

    NOT_COMPETENT = "not_competent"  # 不属于本机关职权范围: name the competent office
    NO_PERMIT_NEEDED = "no_permit_needed"  # 依法不需要取得行政许可
    NOT_ELIGIBLE = "not_eligible"  # 不符合受理条件

    @property
    def label_zh(self) -> str:
        return REJECT_GROUND_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return REJECT_GROUND_LABELS[self][1]


REJECT_GROUND_LABELS: dict[RejectGround, tuple[str, str]] = {
    RejectGround.NOT_COMPETENT: ("不属于本机关职权范围", "Not within this office's competence"),
    RejectGround.NO_PERMIT_NEEDED: ("依法不需要取得行政许可", "No permit is required by law"),
    RejectGround.NOT_ELIGIBLE: ("不符合受理条件", "Does not meet the conditions for acceptance"),
}

# 告知申请人依法享有的救济权利 (行政复议法 art. 20: 60 days; 行政诉讼法 art. 46: six months).
APPEAL_DAYS = 60
LAWSUIT_MONTHS = 6

# Facts a notice cannot be issued without: field name -> the message shown beside the field.
_REQUIRED: dict[NoticeKind, tuple[tuple[str, Text], ...]] = {
    NoticeKind.ACCEPTANCE: (),
    NoticeKind.SUPPLEMENT: (("reason", N_("请填写补正告知说明")),),
    NoticeKind.REJECTION: (("reason", N_("请填写不予受理的理由")),),
    NoticeKind.EXTENSION: (("reason", N_("延长期限须告知申请人理由")),),
    NoticeKind.SPECIAL: (("reason", N_("请填写特别程序的内容和理由")),),
    NoticeKind.APPROVAL: (),
    NoticeKind.REFUSAL: (("reason", N_("不予许可须说明理由")),),
    NoticeKind.DELIVERY: (("delivery_method", N_("请选择送达方式")),),
}


def missing_facts(kind: NoticeKind, facts: Mapping[str, Any]) -> dict[str, Text]:
    """What the notice still needs, by field name (empty: it may be issued)."""
    missing = {
        name: message for name, message in _REQUIRED[kind] if not str(facts.get(name) or "").strip()
    }
    if kind is NoticeKind.REJECTION:
        ground = facts.get("ground")
        if ground not in set(RejectGround):
            missing["ground"] = N_("请选择不予受理的情形")
        elif (
            ground == RejectGround.NOT_COMPETENT
            and not str(facts.get("competent_office") or "").strip()
        ):
            missing["competent_office_hint"] = N_(
                "不属于本机关职权范围的，须告知申请人向哪个有权机关申请"
            )
    return missing


_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_LENGTH = 16  # 80 bits


def new_verification_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_code(text: str) -> str | None:
    """A typed code in its stored form (``XXXX-XXXX-XXXX-XXXX``), or None if it cannot be one.

    Case, spaces and dashes do not matter; O reads as 0 and I/L as 1 (Crockford)."""
    cleaned = "".join(ch for ch in text.upper() if not ch.isspace() and ch != "-")
    cleaned = cleaned.translate(str.maketrans("OIL", "011"))
    if len(cleaned) != CODE_LENGTH or any(ch not in _CODE_ALPHABET for ch in cleaned):
        return None
    return "-".join(cleaned[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def document_number(office_mark: str, kind: NoticeKind, year: int, serial: int) -> str:
    """The notice's number: office mark, kind, year and a serial per office and year."""
    return f"{office_mark}{NUMBER_MARK[kind]}〔{year}〕{serial}号"
