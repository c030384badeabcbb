"""The admin's view of the sealed audit log: filtered by actor, object, action and date,
paged. An admin's own changes show their before and after; any other row shows what was done,
to what, when and from where, never personal data (SECURITY.md, separation of duties): a
citizen is named by account number, a phone number in a target is masked, and the row's
detail is not shown."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from ..domain.identifiers import mask_phone
from ..domain.states import Role
from ..extensions import db
from ..models import AuditEntry, User
from .admin_changes import ACTION as ADMIN_CHANGE
from .calendar import SHANGHAI

PER_PAGE = 50
_PHONE = re.compile(r"(?<![0-9])1[0-9]{10}(?![0-9])")


@dataclass(frozen=True)
class Filters:
    actor: str = ""  # a staff username, or "#<account id>"
    target: str = ""  # the start of the object (e.g. "office:", "calendar:2027")
    action: str = ""
    since: date | None = None  # Beijing dates, both included
    until: date | None = None


@dataclass(frozen=True)
class Row:
    id: int
    at: datetime
    actor: str
    action: str
    success: bool
    target: str
    ip: str
    change: dict[str, Any] | None  # an admin change's detail (verb, before, after), else None


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    total: int
    page: int
    pages: int


def masked_target(target: str | None) -> str:
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), target or "")


def actions() -> list[str]:
    """The actions present in the log, for the filter's choices."""
    return sorted(
        a for a in db.session.scalars(sa.select(AuditEntry.action).distinct()) if a is not None
    )


def _where(filters: Filters) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    actor = filters.actor.strip()
    if actor.startswith("#") and actor[1:].isdigit():
        where.append(AuditEntry.user_id == int(actor[1:]))
    elif actor:
        where.append(
            AuditEntry.user_id.in_(
                sa.select(User.id).where(User.username == actor, User.role != Role.CITIZEN)
            )
        )
    if filters.target.strip():
        prefix = filters.target.strip().replace("\\", "\\\\").replace("%", r"\%")
        where.append(AuditEntry.target.like(prefix.replace("_", r"\_") + "%", escape="\\"))
    if filters.action:
        where.append(AuditEntry.action == filters.action)
    if filters.since is not None:
        where.append(AuditEntry.at >= datetime.combine(filters.since, time.min, SHANGHAI))
    if filters.until is not None:
        end = datetime.combine(filters.until + timedelta(days=1), time.min, SHANGHAI)
        where.append(AuditEntry.at < end)
    return where


def search(filters: Filters, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """One page of the log, newest first."""
    where = _where(filters)
    total = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(*where)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    found = db.session.execute(
        sa.select(AuditEntry, User.username, User.role)
        .outerjoin(User, User.id == AuditEntry.user_id)
        .where(*where)
        .order_by(AuditEntry.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    rows = [
        Row(
            id=entry.id,
            at=entry.at,
            actor=_actor(entry.user_id, username, role),
            action=entry.action,
            success=entry.success,
            target=masked_target(entry.target),
            ip=entry.ip or "",
            change=dict(entry.detail or {}) if entry.action == ADMIN_CHANGE else None,
        )
        for entry, username, role in found
    ]
    return Page(rows, total, page, pages)


def _actor(user_id: int | None, username: str | None, role: Role | None) -> str:
    if user_id is None:
        return ""
    if role is Role.CITIZEN or not username:
        return f"#{user_id}"
    return username
