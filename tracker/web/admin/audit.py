"""The admin's audit trail: the sealed log filtered by actor, object, action and date, with the
result of checking every seal (``tracker audit verify``) at the top."""

from __future__ import annotations

from datetime import date

from flask import render_template, request
from flask_babel import gettext as _

from ...domain.text import N_
from ...services import audit as sealed
from ...services import audit_trail as trail
from ...services.admin_changes import LABELS
from .views import bp, section

section(
    "admin.audit",
    N_("审计日志"),
    N_("按操作人、对象、操作和日期查看防篡改审计日志，并核验整条日志的封印。"),
    order=90,
)


def _day(name: str, errors: dict[str, str]) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("请按 YYYY-MM-DD 填写日期，例如 2026-11-30。")
        return None


@bp.get("/audit")
def audit() -> tuple[str, int]:
    verdict = sealed.verify()
    errors: dict[str, str] = {}
    since, until = _day("since", errors), _day("until", errors)
    if since and until and since > until:
        errors["until"] = _("结束日期不能早于开始日期。")
    filters = trail.Filters(
        actor=request.args.get("actor", "")[:64],
        target=request.args.get("target", "")[:128],
        action=request.args.get("action", "")[:32],
        since=since,
        until=until,
    )
    page = request.args.get("page", "1")
    found = trail.search(filters, int(page) if page.isdigit() else 1)
    query = {k: v for k, v in request.args.items() if k not in ("page", "lang") and v}
    return render_template(
        "admin/audit.html",
        verdict=verdict,
        filters=filters,
        errors=errors,
        found=found,
        actions=trail.actions(),
        labels=LABELS,
        query=query,
        typed=request.args,
    ), 422 if errors else 200
