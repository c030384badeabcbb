"""Small reads the pages need: one row by its key, the reference tables as dicts, a case a clerk
may see by its number or id, an attachment of a case, and whether the database answers.

The views call these instead of querying (ARCHITECTURE.md: views parse, call services, render).
Nothing here writes; the larger reads the pages share stay in ``queries.py``.
"""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa

from ..extensions import db
from ..models import Attachment, Case, Department, Office, Region, SubTask
from .workqueue import visible_case

TRACKING_NUMBER_MAX = 32


def office(office_id: int) -> Office | None:
    return db.session.get(Office, office_id)


def office_by_code(code: str) -> Office | None:
    return db.session.scalars(sa.select(Office).where(Office.code == code)).first()


def region(code: str) -> Region | None:
    return db.session.get(Region, code)


def regions() -> dict[str, Region]:
    """Every region by its code."""
    return {r.code: r for r in db.session.scalars(sa.select(Region))}


def departments() -> dict[str, Department]:
    """Every department by its code."""
    return {d.code: d for d in db.session.scalars(sa.select(Department))}


def subtask(subtask_id: int) -> SubTask | None:
    return db.session.get(SubTask, subtask_id)


def attachment_of(case: Case, attachment_id: int) -> Attachment | None:
    """The attachment ``attachment_id`` when it belongs to ``case`` and has a stored file."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.case_id != case.id or attachment.stored_name is None:
        return None
    return attachment


def office_case(office_id: int, tracking_number: str) -> Case | None:
    """A case the office may see, by its tracking number as typed (trimmed, any case)."""
    number = tracking_number.strip().upper()
    if not number or len(number) > TRACKING_NUMBER_MAX:
        return None
    return visible_case(office_id, Case.tracking_number == number)


def office_case_by_id(office_id: int, case_id: int) -> Case | None:
    """A case the office may see, by its id, as the database has it now."""
    return visible_case(office_id, Case.id == case_id)


def office_case_afresh(office_id: int, case_id: int) -> Case | None:
    """``office_case_by_id`` after dropping whatever this session holds (a refused write may
    have left it half-changed): what another clerk did is what the page shows."""
    db.session.rollback()
    return office_case_by_id(office_id, case_id)


def database_ready() -> bool:
    """The database answers a trivial query (the readiness probe)."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return False
    return True


def supervised_case(office_ids: Collection[int], tracking_number: str) -> Case | None:
    """A case a supervisor may open read-only: received, decided or held by an office in
    their scope (``office_ids``); else None, exactly like a number that does not exist."""
    number = tracking_number.strip().upper()
    if not number or len(number) > TRACKING_NUMBER_MAX:
        return None
    ids = list(office_ids)
    return db.session.scalars(
        sa.select(Case).where(
            Case.tracking_number == number,
            sa.or_(
                Case.custody_office_id.in_(ids),
                Case.competent_office_id.in_(ids),
                Case.receiving_office_id.in_(ids),
            ),
        )
    ).one_or_none()
