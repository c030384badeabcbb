"""Which cases an API token may see (SECURITY.md: nobody sees what is not theirs).

- a citizen token: the citizen's own cases;
- an office token: the cases its clerks see on the workbench (held, received, decided, or a
  sub-task there — :func:`workqueue.touched_by`);
- a supervisor token: cases held by an office inside the supervisor's region, as the
  supervisor's extension decisions are scoped (``extensions.case_in_scope``).

A case outside the scope answers exactly as one that does not exist.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import ApiToken, Case, Office
from .workqueue import touched_by


def _region_prefix(scope: str) -> str:
    """GB/T 2260: 510000 → '51', 510100 → '5101', 510107 → '510107'."""
    if scope.endswith("0000"):
        return scope[:2]
    if scope.endswith("00"):
        return scope[:4]
    return scope


def scope_of(token: ApiToken) -> sa.ColumnElement[bool]:
    """A WHERE clause on ``Case`` for what the token may see."""
    if token.scope == "citizen":
        return Case.applicant_id == token.user_id
    if token.scope == "office":
        assert token.office_id is not None  # noqa: S101 - a CHECK constraint holds it
        return touched_by(token.office_id)
    region = token.user.scope_region_code if token.user is not None else None
    if region is None:
        return sa.true()
    return Case.custody_office_id.in_(
        sa.select(Office.id).where(Office.region_code.startswith(_region_prefix(region)))
    )


def case_for(token: ApiToken, tracking_number: str) -> Case | None:
    """The case with this tracking number if the token may see it, else None."""
    return db.session.scalars(
        sa.select(Case)
        .where(Case.tracking_number == tracking_number[:32], scope_of(token))
        .options(selectinload(Case.subtasks), selectinload(Case.pauses))
        .execution_options(populate_existing=True)
    ).one_or_none()
