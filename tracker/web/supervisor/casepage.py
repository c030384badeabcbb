"""One case, read-only, for a supervisor whose scope covers it: its timeline, clock,
reasons and documents list, with the applicant masked — so "late, and why" is answered
without asking a clerk. A case outside the scope answers 404, like one that does not exist."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, render_template

from ...services import lookups, queries
from ...services.calendar import local_date
from ...services.dashboard import redact
from .. import wallclock
from . import pages
from .views import bp


@bp.get("/cases/<tracking_number>")
def case(tracking_number: str) -> Any:
    scope, f = pages.scope(), pages.filters()
    found = lookups.supervised_case(list(scope.offices), tracking_number)
    if found is None:
        abort(404)
    today = local_date(wallclock.now())
    name = found.applicant.real_name or ""
    events = [(e, redact(e.reason, [name]) if e.reason else None) for e in queries.timeline(found)]
    return render_template(
        "supervisor/case.html",
        case=found,
        f=f,
        scope=scope,
        events=events,
        clock=queries.case_clock(found, today, int(current_app.config["AT_RISK_WORKING_DAYS"])),
        applicant_masked=redact(name, [name]) if len(name) >= 2 else "*",
        lateness_note=redact(found.lateness_note, [name]) if found.lateness_note else None,
        materials={m.code: m for m in found.service.materials},
    )
