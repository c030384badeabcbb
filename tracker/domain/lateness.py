"""Accountability for lateness: why a case was decided after its due date.

A decision made after the due date must say why (a code from this short list, with free text;
"other" needs the text). An extension is asked for before the due date and decided against the
due date it was asked under: approving it after that day never makes a late case on time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from .errors import DomainError
from .text import N_, Text

LATENESS_NOTE_MAX = 500

# code -> the words a person reads (Chinese msgid; English in the catalogue).
LATENESS_REASONS: dict[str, Text] = {
    "workload": N_("案件积压、人手不足"),
    "coordination": N_("等待其他部门协查或回复"),
    "verification": N_("现场核查或材料核实耗时"),
    "system": N_("系统或网络故障"),
    "staff": N_("经办人员变动或交接"),
    "other": N_("其他原因"),
}


def is_late(today: date, due_on: date | None) -> bool:
    """Decided after the due date (a due date not yet known is never called late here)."""
    return due_on is not None and today > due_on


def lateness_values(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The lateness code and note a late decision records; a ``DomainError`` that says what
    is missing otherwise."""
    code = str(payload.get("lateness_code") or "").strip()
    note = str(payload.get("lateness_note") or "").strip()[:LATENESS_NOTE_MAX]
    if code not in LATENESS_REASONS:
        raise DomainError(N_("已超过承诺办结日期，请选择逾期原因"), code="lateness_code")
    if code == "other" and not note:
        raise DomainError(N_("逾期原因为“其他”时，请写明具体原因"), code="lateness_note")
    return {"lateness_code": code, "lateness_note": note or None}


def check_extension_request(today: date, due_on: date | None) -> None:
    """An extension is asked for on or before the due date."""
    if is_late(today, due_on):
        raise DomainError(
            N_("已超过承诺办结日期，不能再申请延期；办结时须说明逾期原因"),
            code="extension_too_late",
        )


def check_extension_approval(today: date, due_at_request: date | None) -> None:
    """An extension is approved on or before the due date it was asked under."""
    if is_late(today, due_at_request):
        raise DomainError(
            N_("申请延期时的承诺办结日期已过，不能再批准延期（可不予批准）"),
            code="extension_too_late",
        )
