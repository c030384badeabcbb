"""The shape of what a clerk's pages accept: queue filters and the extra fields of each action.

Nothing here decides whether a move is allowed (the workflow does, through the services); these
functions only turn request values into clean Python values and drop anything unexpected, so
that a hand-made query string or form can never reach a service as a wrong type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from ...domain.states import CaseStatus, DeliveryMethod
from ...domain.workflow import Action
from ...services.queries import DUE_FILTERS, QueueFilters
from ..inputs import clean_text, parse_date, parse_int

REASON_MAX = 1000
NOTE_MAX = 200
HINT_MAX = 200
APPEAL_MAX = 500
SEARCH_MAX = 64
PAGE_MAX = 100_000
STATUS_GROUPS = ("open", "closed", "all")
ASSIGNED = ("any", "me", "unassigned")
DELIVERY_METHODS = tuple(DeliveryMethod)

# 告知申请人依法享有的救济权利 (行政复议法 art. 20: 60 days; 行政诉讼法 art. 46: six months).
DEFAULT_APPEAL_RIGHTS = (
    "如对本决定不服，可自收到本决定之日起六十日内依法申请行政复议，"
    "或者在六个月内依法向人民法院提起行政诉讼。"
)


@dataclass(frozen=True)
class QueueArgs:
    """The queue's filters as shown back in the filter form (strings, '' when unset)."""

    filters: QueueFilters
    raw: dict[str, str]


def queue_args(args: Mapping[str, str], service_ids: set[int]) -> QueueArgs:
    """Filters from the query string; every unknown or malformed value falls back to its
    default (a bookmarked or hand-edited URL never errors)."""
    status = args.get("status", "open")
    if status not in STATUS_GROUPS and status not in {s.value for s in CaseStatus}:
        status = "open"
    service_id = parse_int(args.get("service"))
    if service_id not in service_ids:
        service_id = None
    due = args.get("due") if args.get("due") in DUE_FILTERS else None
    assigned = args.get("assigned") if args.get("assigned") in ASSIGNED else "any"
    date_from, date_to = parse_date(args.get("from")), parse_date(args.get("to"))
    q = clean_text(args.get("q"), SEARCH_MAX).replace("\n", " ").replace("\t", " ")
    page = parse_int(args.get("page"), 1, PAGE_MAX) or 1
    filters = QueueFilters(status=status, service_id=service_id, due=due, assigned=assigned,
                           submitted_from=date_from, submitted_to=date_to, q=q, page=page)
    raw = {
        "status": status, "service": str(service_id or ""), "due": due or "",
        "assigned": assigned, "from": date_from.isoformat() if date_from else "",
        "to": date_to.isoformat() if date_to else "", "q": q,
    }
    return QueueArgs(filters=filters, raw=raw)


@dataclass(frozen=True)
class ActionInput:
    reason: str
    payload: dict[str, Any]
    errors: dict[str, str]


def action_input(action: Action, form: MultiDict[str, str], *, material_codes: Sequence[str],
                 canned: Mapping[int, str], cooperation_count: int,
                 statutory_days: int) -> ActionInput:
    """Reason and payload for ``action`` from its form.

    ``canned`` maps the ids of the office's canned notes offered with this action to their
    text: when the reason box is empty the chosen note is the reason (the select works
    without JavaScript). Shape problems come back in ``errors`` keyed by field name; whether
    the move is allowed, and whether a reason is required, stays with the services.
    """
    reason = clean_text(form.get("reason"), REASON_MAX)
    errors: dict[str, str] = {}
    if not reason:
        note_id = parse_int(form.get("canned"))
        if note_id is not None and note_id in canned:
            reason = canned[note_id]
    payload: dict[str, Any] = {}
    if action is Action.REQUEST_SUPPLEMENT:
        chosen = set(form.getlist("material"))
        payload["items"] = [
            {"material": code, "note": clean_text(form.get(f"note_{code}"), NOTE_MAX)}
            for code in material_codes if code in chosen
        ]
    elif action is Action.REQUEST_EXTENSION:
        days = parse_int(form.get("days"), 1, 1000)
        if days is None or days > statutory_days:
            errors["days"] = _("请填写延长的工作日数（1至%(n)s）", n=statutory_days)
        else:
            payload["days"] = days
    elif action in (Action.START_PROCESSING, Action.SEND_CONTACT_LETTERS) and cooperation_count:
        offices = [parse_int(form.get(f"coop_{i}")) for i in range(cooperation_count)]
        # Only whole numbers reach the service; a missing choice makes the count short and
        # the service says which choice is missing.
        payload["cooperating_offices"] = [o for o in offices if o is not None]
    elif action is Action.DELIVER:
        method = form.get("delivery_method", "")
        if method not in DELIVERY_METHODS:
            errors["delivery_method"] = _("请选择送达方式")
        else:
            payload["delivery_method"] = method
        ref = clean_text(form.get("delivery_ref"), 64).replace("\n", " ")
        if method == "post" and not ref:
            errors["delivery_ref"] = _("邮寄送达请填写快递单号")
        if ref:
            payload["delivery_ref"] = ref
    elif action is Action.REJECT:
        hint = clean_text(form.get("competent_office_hint"), HINT_MAX).replace("\n", " ")
        if hint:
            payload["competent_office_hint"] = hint
        payload["appeal_rights"] = (clean_text(form.get("appeal_rights"), APPEAL_MAX)
                                    or DEFAULT_APPEAL_RIGHTS)
    return ActionInput(reason=reason, payload=payload, errors=errors)
