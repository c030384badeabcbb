"""Turning what the services return into the API's JSON (plain dicts the response models
validate): a case as a token's scope allows, its events, a queue row.

Personal data (SECURITY.md): a citizen token sees its own case with its answers; an office
token sees the applicant's name and the answers, phone and resident ID masked as the
workbench shows them; a supervisor token sees no applicant at all (aggregates and tracking
numbers only). The full resident ID never leaves through the API.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app

from ...domain.effects import NO_DEADLINE
from ...domain.identifiers import mask_phone, mask_resident_id
from ...domain.states import CaseStatus, is_paused
from ...domain.workflow import Action, ActorFacts
from ...models import ApiToken, Case, CaseEvent
from ...services import api_reads, queries
from ...services.queries import ClockView


def status(value: CaseStatus) -> dict[str, Any]:
    return {
        "value": value.value,
        "code": value.code,
        "label_zh": value.label_zh,
        "label_en": value.label_en,
    }


def at_risk_days() -> int:
    return int(current_app.config["AT_RISK_WORKING_DAYS"])


def clock(case: Case, view: ClockView, *, act_by: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "state": view.state,
        "due_on": view.due_on.isoformat() if view.due_on else None,
        "days_left": view.days_left,
        "paused": is_paused(case.status),
        "pending_year": view.pending_year,
    }
    if act_by and case.act_by is not None and case.act_by != NO_DEADLINE:
        out["act_by"] = case.act_by.isoformat()
    return out


def event(e: CaseEvent) -> dict[str, Any]:
    try:
        action = Action(e.action)
        labels = (action.label_zh, action.label_en)
    except ValueError:
        labels = (e.action, e.action)
    return {
        "cursor": str(e.id),
        "at": e.at.isoformat(),
        "action": e.action,
        "label_zh": labels[0],
        "label_en": labels[1],
        "actor_role": str(e.actor_role.value if hasattr(e.actor_role, "value") else e.actor_role),
        "office": e.office.code if e.office is not None else None,
        "from_status": e.from_status.value if e.from_status else None,
        "to_status": e.to_status.value,
        "reason": e.reason,
    }


def _shown(field_type: str, value: Any) -> str:
    shown = "" if value is None else str(value)
    if field_type == "resident_id" and shown:
        return mask_resident_id(shown)
    if field_type == "phone" and shown:
        return mask_phone(shown)
    return shown


def _answers(case: Case) -> list[dict[str, str]]:
    return [
        {"name": f.name, "value": _shown(f.type, case.form_data[f.name])}
        for f in case.form_fields
        if f.name in case.form_data
    ]


def _applicant(case: Case) -> dict[str, Any]:
    person = case.applicant
    return {
        "name": person.real_name,
        "phone": mask_phone(person.phone) if person.phone else None,
        "resident_id": person.resident_id_masked
        or (mask_resident_id(person.resident_id) if person.resident_id else None),
    }


def case_out(case: Case, token: ApiToken, actor: ActorFacts, today: date) -> dict[str, Any]:
    view = queries.case_clock(case, today, at_risk_days())
    out: dict[str, Any] = {
        "tracking_number": case.tracking_number,
        "version": case.version,
        "service": case.service.code,
        "mode": case.mode.value,
        "status": status(case.status),
        "receiving_office": case.receiving_office.code,
        "competent_office": case.competent_office.code,
        "custody_office": case.custody_office.code,
        "submitted_at": case.submitted_at.isoformat(),
        "accepted_at": case.accepted_at.isoformat() if case.accepted_at else None,
        "completed_at": case.completed_at.isoformat() if case.completed_at else None,
        "clock": clock(case, view, act_by=token.scope == "office"),
        "actions": [a.value for a in api_reads.offered_actions(case, actor)],
        "timeline": [event(e) for e in queries.timeline(case)],
    }
    if token.scope != "supervisor":
        out["applicant"] = _applicant(case)
        out["answers"] = _answers(case)
        out["precheck"] = case.precheck
        out["situation_code"] = case.situation_code
    return out


def queue_row(case: Case, view: ClockView) -> dict[str, Any]:
    return {
        "tracking_number": case.tracking_number,
        "version": case.version,
        "service": case.service.code,
        "status": status(case.status),
        "act_by": case.act_by.isoformat()
        if case.act_by is not None and case.act_by != NO_DEADLINE
        else None,
        "clock": clock(case, view, act_by=True),
        "assignee": case.assignee.username if case.assignee is not None else None,
        "submitted_at": case.submitted_at.isoformat(),
    }
