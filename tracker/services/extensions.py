"""A supervisor's decision on an extension request (延期审批).

The scope check lives here, beside the move: a supervisor decides only for a case held by an
office inside the region they watch; a case outside it answers exactly like one that does not
exist (:class:`ExtensionNotFound`), so its existence does not leak. The move itself, its
version check and its event go through :func:`tracker.services.cases.act`.
"""

from __future__ import annotations

from datetime import datetime

from ..domain.errors import DomainError
from ..domain.regions import in_scope
from ..domain.states import Role
from ..domain.text import N_
from ..domain.workflow import Action
from ..extensions import db
from ..models import Case, Office, User
from . import cases as case_ops


class ExtensionNotFound(DomainError):
    code = "not_found"


def case_in_scope(case_id: int, supervisor: User) -> Case:
    """The case, if an office inside the supervisor's region holds it; else
    :class:`ExtensionNotFound`, the same answer as for a case that does not exist."""
    case = db.session.get(Case, case_id)
    office = db.session.get(Office, case.custody_office_id) if case is not None else None
    if (
        case is None
        or office is None
        or supervisor.role is not Role.SUPERVISOR
        or not in_scope(supervisor.scope_region_code, office.region_code)
    ):
        raise ExtensionNotFound(N_("办件不存在"))
    return case


def decide_extension(
    case_id: int,
    supervisor: User,
    approve: bool,
    reason: str | None,
    now: datetime,
    *,
    expected_version: int | None = None,
    ip: str | None = None,
) -> Case:
    """Approve (``approve=True``) or refuse the case's pending extension request, with the
    reason the applicant is told. Raises :class:`ExtensionNotFound` (no such case, or outside
    the supervisor's region), ``cases.StaleCase`` (someone moved the case since
    ``expected_version``) or a ``DomainError`` the workflow raises."""
    case = case_in_scope(case_id, supervisor)
    action = Action.APPROVE_EXTENSION if approve else Action.REFUSE_EXTENSION
    return case_ops.act(
        case.id, action, supervisor, now, expected_version=expected_version, reason=reason, ip=ip
    )
