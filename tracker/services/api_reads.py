"""What the JSON API reads beyond the pages' own queries: an applicant by phone, offices by
code, the moves offered to a token's actor, a case's events after a cursor, the office queue
by keyset (cursor) paging, and the daily throughput of a token's scope. Read-only: no commits.

The rules stay where they are: the moves come from ``workflow.available_actions``, the
queue's filters from ``workqueue``, the figures from ``dashboard``; this module only adds
the ways an outside system pages through them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..domain.effects import NO_DEADLINE
from ..domain.errors import InvalidPhone
from ..domain.identifiers import normalize_mobile
from ..domain.states import Role
from ..domain.workflow import Action, ActorFacts, available_actions
from ..extensions import db
from ..models import ApiToken, Case, CaseEvent, Office, Service, User
from . import dashboard as dash
from .case_store import actor_facts, case_facts
from .workqueue import QueueFilters, _queue_where


def applicant_by_phone(phone: str) -> User | None:
    """A registered, active applicant with this mobile number (written any way the
    registration form accepts: ``+86 139-0000-0001`` too); None for a malformed one. The API
    and Open311 both find the applicant a counter files for with it."""
    try:
        number = normalize_mobile(phone[:32])
    except InvalidPhone:
        return None
    return db.session.scalars(
        sa.select(User).where(
            User.phone == number,
            User.role == Role.CITIZEN,
            User.is_active_account.is_(True),
        )
    ).one_or_none()


def office_by_code(code: str) -> Office | None:
    return db.session.scalars(sa.select(Office).where(Office.code == code[:32])).one_or_none()


def office_ids_by_code(codes: Iterable[str]) -> dict[str, int]:
    wanted = sorted({c[:32] for c in codes})
    if not wanted:
        return {}
    return dict(
        db.session.execute(sa.select(Office.code, Office.id).where(Office.code.in_(wanted))).all()
    )


def services() -> list[Service]:
    """Active services in code order, with their fields and materials (two extra queries)."""
    return list(
        db.session.scalars(
            sa.select(Service)
            .where(Service.active)
            .options(selectinload(Service.fields), selectinload(Service.materials))
            .order_by(Service.code)
        )
    )


def token_actor(token: ApiToken, operator: User | None) -> ActorFacts:
    """Who the workflow sees behind a token: the citizen, the supervisor, or (office token)
    the operating clerk — or, when reading without naming one, any clerk of the office."""
    if token.scope == "office":
        if operator is not None:
            return actor_facts(operator)
        return ActorFacts(role=Role.CLERK, user_id=None, office_id=token.office_id)
    return actor_facts(token.user)


def offered_actions(case: Case, actor: ActorFacts) -> list[Action]:
    """Exactly the moves the workbench (or the applicant's page) offers this actor now."""
    return list(available_actions(case_facts(case), actor))


def events_after(case: Case, after_id: int, limit: int) -> list[CaseEvent]:
    """The case's events with an id above ``after_id``, oldest first, at most ``limit``."""
    return list(
        db.session.scalars(
            sa.select(CaseEvent)
            .where(CaseEvent.case_id == case.id, CaseEvent.id > after_id)
            .options(selectinload(CaseEvent.office))
            .order_by(CaseEvent.id)
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class QueueSlice:
    rows: list[Case]
    more: bool


def office_queue_after(
    office_id: int,
    filters: QueueFilters,
    *,
    user_id: int | None,
    today: date,
    risk_until: date,
    after: tuple[date, int] | None,
    limit: int,
) -> QueueSlice:
    """The workbench's queue (same filters, same order: the day the office must act, then
    id), ``limit`` cases after the cursor ``(act_by, id)`` of the last one seen."""
    where = _queue_where(office_id, filters, user_id or 0, today, risk_until)
    if filters.assigned == "me" and user_id is None:
        where.append(sa.false())
    act_by = sa.func.coalesce(Case.act_by, NO_DEADLINE)
    stmt = sa.select(Case).where(*where)
    if after is not None:
        stmt = stmt.where(sa.tuple_(act_by, Case.id) > sa.tuple_(sa.literal(after[0]), after[1]))
    rows = list(
        db.session.scalars(
            stmt.options(selectinload(Case.service), selectinload(Case.assignee))
            .order_by(act_by, Case.id)
            .limit(limit + 1)
        )
    )
    return QueueSlice(rows[:limit], len(rows) > limit)


@dataclass(frozen=True)
class DailyFigures:
    day: date
    counts: Counter[str]


def daily_throughput(
    token: ApiToken,
    start: date,
    end: date,
    *,
    region: str | None = None,
    department: str | None = None,
    service_id: int | None = None,
) -> list[DailyFigures] | None:
    """Throughput per day for the token's scope (a supervisor's region, or an office token's
    own office), as the supervisor's dashboard counts it; None when ``region`` lies outside
    the scope. Every day of the range is listed, zeros included."""
    if token.scope == "office":
        assert token.office_id is not None  # noqa: S101 - a CHECK constraint holds it
        area, subset = dash.area_key(office_id=token.office_id, service_id=service_id)
        office_ids: list[int] | None = [token.office_id]
    else:
        scope = dash.load_scope(token.user.scope_region_code if token.user else None)
        if region is not None and not scope.covers_region(region):
            return None
        office_ids = scope.office_ids(department=department, region=region)
        if scope.region_code is None and region is None and department is None:
            office_ids = None
        area, subset = dash.area_key(
            region=region or scope.region_code, department=department, service_id=service_id
        )
    sel = dash.Selection.of(
        office_ids,
        None if service_id is None else [service_id],
        start,
        end,
        area=area,
        subset=subset,
    )
    days = dash.by_day(sel)
    out, day = [], start
    while day <= end:
        out.append(DailyFigures(day, days.get(day, Counter())))
        day = date.fromordinal(day.toordinal() + 1)
    return out


def service_id_by_code(code: str) -> int | None:
    return db.session.scalar(sa.select(Service.id).where(Service.code == code[:64]))
