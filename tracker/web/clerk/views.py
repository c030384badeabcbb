"""A clerk's workbench: the office's queue, one case with the moves the workflow allows now,
sub-tasks of joint cases, bulk accept/assign, and the office's canned notes.

This module holds the blueprint, its guard and what the clerk's pages share; the pages are in
``queue.py`` (queue, bulk), ``casepage.py`` (one case and its moves) and ``notes.py``.

One guard for the blueprint: a signed-in clerk. A case is visible to a clerk when their office
holds it, received it, is competent for it, or has a sub-task on it; any other tracking number
answers 404 on every route, exactly like a number that does not exist. Whether a move is
allowed is the workflow's business: the page offers ``available_actions`` and the services
refuse everything else (a refusal is shown with the typed text kept, HTTP 422; a move made on
an out-of-date version gets the 409 "this case changed" page and writes nothing).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import Blueprint, abort, current_app, g, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ...domain.calendar import WorkingCalendar
from ...domain.states import Role
from ...models import Case, User
from ...services import lookups, queries, workqueue
from ..inputs import parse_int

bp = Blueprint("clerk", __name__, url_prefix="/clerk")

CONFLICT_EVENTS = 5


def ip() -> str | None:
    return request.remote_addr


def folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def me() -> User:
    user: User = current_user._get_current_object()  # the services take the model, not a proxy
    return user


def office_id() -> int:
    return int(current_user.office_id)


@bp.before_request
@login_required
def _clerks_only() -> None:
    if current_user.role is not Role.CLERK or current_user.office_id is None:
        # An admin configures and never reads cases or applicants (SECURITY.md, separation
        # of duties): for them these pages do not exist.
        abort(404 if current_user.role is Role.ADMIN else 403)
    g.personal_data = True


# ---- which cases this clerk may see ----------------------------------------------------------


def find_case(tracking_number: str) -> Case | None:
    return lookups.office_case(office_id(), tracking_number)


def case_or_404(tracking_number: str) -> Case:
    case = find_case(tracking_number)
    if case is None:
        abort(404)
    return case


def colleagues() -> list[User]:
    """Active clerks of the same office (assignment targets), the clerk first."""
    return sorted(workqueue.office_clerks(office_id()), key=lambda u: u.id != current_user.id)


def colleague(raw: str | None) -> User | None:
    if raw == "me":
        return me()
    user_id = parse_int(raw)
    return next((u for u in colleagues() if u.id == user_id), None)


def version_or_400(version: int | None) -> int:
    if version is None:
        abort(400, description=_("表单缺少办件版本号，请刷新页面后重试。"))
    return version


# ---- the office's clock ----------------------------------------------------------------------


def risk_until(today: date, calendar: WorkingCalendar) -> date:
    return workqueue.risk_until(today, current_app.config["AT_RISK_WORKING_DAYS"], calendar)


def office_clock(
    case: Case, today: date, risk_until: date, calendar: WorkingCalendar
) -> queries.ClockView:
    return workqueue.office_clock(
        case, today, risk_until, calendar, current_app.config["AT_RISK_WORKING_DAYS"]
    )


def conflict(case_id: int, held_version: int | None, attempted: str) -> tuple[str, int]:
    """409: what happened to the case since the clerk's page was drawn; nothing was written."""
    current = lookups.office_case_afresh(office_id(), case_id)
    if current is None:
        abort(404)
    events = queries.timeline(current)
    # One event per version step (submission is version 1), so the events the clerk has not
    # seen are those after the first ``held_version``; otherwise show the latest few.
    newer = events[held_version:] if held_version and 0 < held_version < len(events) else []
    return render_template(
        "clerk/conflict.html",
        case=current,
        events=newer or events[-CONFLICT_EVENTS:],
        since_held=bool(newer),
        attempted=attempted,
    ), 409
