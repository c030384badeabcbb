"""What Open311 GeoReport v2 (``/open311/v2``) reads and files, within an API token's scope.

The web layer (``tracker/web/open311``) turns these into the spec's XML and JSON; the rules
stay here and in the services it calls: filing is :func:`filing.file_application` (the apply
page's checks), the scope is :func:`case_access.scope_of` (one rule for the JSON API and
Open311).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.base import ExecutableOption

from ..domain.errors import DomainError
from ..domain.states import CLOSED_STATES, OPEN_STATES, HandlingMode
from ..extensions import db
from ..models import ApiToken, Case, CaseEvent, Office, Service, User
from .api_reads import applicant_by_phone
from .api_tokens import TokenScope, operator_for
from .case_access import scope_of
from .filing import Application, FilingRefused, file_application

MAX_ROWS = 1000  # one answer holds at most this many requests or updates (newest first)


class Open311Refused(DomainError):
    """A key may not do this (403): a supervisor filing, an office filing elsewhere."""

    code = "open311_refused"


def _case_options() -> list[ExecutableOption]:
    return [
        selectinload(Case.service).selectinload(Service.fields),
        selectinload(Case.custody_office),
        selectinload(Case.receiving_office),
        selectinload(Case.events),
    ]


def find_requests(
    token: ApiToken,
    *,
    tracking_numbers: Collection[str] = (),
    service_codes: Collection[str] = (),
    start: datetime | None = None,
    end: datetime | None = None,
    statuses: Collection[str] = (),
) -> list[Case]:
    """Cases the token may see. ``tracking_numbers`` overrides every other filter (as the
    spec says of ``service_request_id``); otherwise submitted in [start, end], of the
    services and Open311 statuses ("open"/"closed") given, newest first."""
    stmt = sa.select(Case).where(scope_of(token))
    if tracking_numbers:
        stmt = stmt.where(Case.tracking_number.in_([n[:32] for n in tracking_numbers]))
    else:
        if start is not None:
            stmt = stmt.where(Case.submitted_at >= start)
        if end is not None:
            stmt = stmt.where(Case.submitted_at <= end)
        if service_codes:
            stmt = stmt.where(
                Case.service_id.in_(sa.select(Service.id).where(Service.code.in_(service_codes)))
            )
        wanted = set(statuses)
        if wanted == {"open"}:
            stmt = stmt.where(Case.status.in_(sorted(OPEN_STATES)))
        elif wanted == {"closed"}:
            stmt = stmt.where(Case.status.in_(sorted(CLOSED_STATES)))
    stmt = stmt.options(*_case_options()).order_by(Case.submitted_at.desc(), Case.id.desc())
    return list(db.session.scalars(stmt.limit(MAX_ROWS)))


def find_updates(
    token: ApiToken,
    *,
    start: datetime,
    end: datetime,
    tracking_numbers: Collection[str] = (),
) -> list[CaseEvent]:
    """Timeline events (FixMyStreet's service request updates) of the cases the token may
    see, made in [start, end], oldest first (a poller resumes from the last one it saw)."""
    stmt = (
        sa.select(CaseEvent)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(scope_of(token), CaseEvent.at >= start, CaseEvent.at <= end)
    )
    if tracking_numbers:
        stmt = stmt.where(Case.tracking_number.in_([n[:32] for n in tracking_numbers]))
    stmt = stmt.options(selectinload(CaseEvent.case), selectinload(CaseEvent.office))
    return list(db.session.scalars(stmt.order_by(CaseEvent.at, CaseEvent.id).limit(MAX_ROWS)))


def last_reason(case: Case) -> str | None:
    """The reason given with the move that put the case in its current state, if any."""
    for event in reversed(case.events):
        if event.to_status == case.status and event.from_status != event.to_status:
            return event.reason
    return None


def offices_of_department(department_code: str) -> list[Office]:
    return list(
        db.session.scalars(
            sa.select(Office)
            .where(Office.department_code == department_code, Office.active)
            .order_by(Office.region_code, Office.code)
        )
    )


def competent_offices(service: Service) -> list[Office]:
    """Where a service with a separate deciding office (异地代收代办) may be decided."""
    if service.mode is not HandlingMode.ACCEPT_HERE_DECIDE_THERE:
        return []
    return offices_of_department(service.competent_department_code)


def office_by_code(code: str) -> Office | None:
    return db.session.scalars(sa.select(Office).where(Office.code == code[:32])).one_or_none()


@dataclass(frozen=True)
class Filing:
    """One POSTed service request: who files and what."""

    service_code: str
    address_id: str  # the receiving office's code
    answers: dict[str, str]
    licences: dict[str, str]
    competent_office: str | None = None
    phone: str | None = None  # office keys: the registered applicant
    operator: str | None = None  # office keys: the clerk who operates the call
    # the guided pre-check's answers {question code: value}; None: not answered
    precheck: dict[str, str] | None = None


def _applicant_and_operator(token: ApiToken, filing: Filing) -> tuple[User, User | None]:
    if token.scope == TokenScope.CITIZEN:
        assert token.user is not None  # noqa: S101 - a CHECK constraint holds it
        return token.user, None
    if token.scope != TokenScope.OFFICE:
        raise Open311Refused("督办令牌不能提交申请", code="supervisor_cannot_file")
    operator = operator_for(token, filing.operator)
    assert token.office is not None  # noqa: S101 - a CHECK constraint holds it
    if filing.address_id and filing.address_id != token.office.code:
        raise Open311Refused("办事处令牌只能在本部门收件", code="office_elsewhere")
    applicant = applicant_by_phone(filing.phone or "")
    if applicant is None:
        raise FilingRefused({"phone": "没有用这个手机号实名注册的申请人"})
    return applicant, operator


def _application(service: Service | None, token: ApiToken, filing: Filing) -> Application:
    receiving = filing.address_id or (token.office.code if token.office is not None else "")
    if service is not None and service.mode is HandlingMode.ACCEPT_HERE_DECIDE_THERE:
        competent = filing.competent_office or ""
        return Application(
            filing.service_code,
            competent,
            receiving,
            filing.answers,
            filing.licences,
            filing.precheck,
        )
    # Received where decided: the receiving office is the competent one.
    return Application(
        filing.service_code, receiving, None, filing.answers, filing.licences, filing.precheck
    )


def file_request(token: ApiToken, filing: Filing, now: datetime, ip: str | None) -> Case:
    """File one case for the token: a citizen key for its citizen; an office key for the
    registered citizen with ``filing.phone``, operated by the clerk ``filing.operator`` and
    recorded in the audit log with the token. Raises :class:`Open311Refused`,
    :class:`~tracker.services.api_tokens.OperatorRefused` or
    :class:`~tracker.services.filing.FilingRefused`."""
    applicant, operator = _applicant_and_operator(token, filing)
    service = db.session.scalars(
        sa.select(Service).where(Service.code == filing.service_code[:64])
    ).one_or_none()
    if not filing.address_id and token.scope == TokenScope.CITIZEN:
        raise FilingRefused({"receiving_office": "请用 address_id 指明收件部门"})
    return file_application(
        applicant=applicant,
        application=_application(service, token, filing),
        now=now,
        ip=ip,
        via={  # audited in the filing's own transaction
            "audit_action": "open311.file",
            "user_id": operator.id if operator is not None else applicant.id,
            "api_token": token.id,
            "scope": token.scope,
            "operator": operator.username if operator is not None else None,
        },
    )


def services_for(codes: Sequence[str]) -> list[Service]:
    """Active services (with their fields and materials loaded), in code order."""
    stmt = sa.select(Service).where(Service.active)
    if codes:
        stmt = stmt.where(Service.code.in_(codes))
    return list(
        db.session.scalars(
            stmt.options(
                selectinload(Service.fields),
                selectinload(Service.materials),
                selectinload(Service.department),
            ).order_by(Service.code)
        )
    )
