"""What an admin changed, in the sealed audit log, and an object's change history.

Every change made in the admin console is written here, in the same transaction as the change
itself, as one audit row: who (``user_id``), when (``at``), what (``target`` =
``"<kind>:<key>"``, e.g. ``office:CD-HF`` or ``service:SC-GJJ-01``), the verb
(``detail["change"]``: created, updated, deactivated, published …) and the object's fields
before and after (``detail["before"]``/``detail["after"]``, only the fields that differ for an
update). Only configuration goes in: never a case's contents or an applicant's personal data
(SECURITY.md, separation of duties), and never a secret (a password, a token, a key): pass
``"(changed)"`` for those.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..domain.text import N_, Text
from ..extensions import db
from ..models import AuditEntry, User
from . import audit

ACTION = "admin_change"

# The verbs, as the change history shows them. A section with a verb of its own adds it here.
LABELS: dict[str, Text] = {
    "created": N_("新建"),
    "updated": N_("修改"),
    "deactivated": N_("停用"),
    "reactivated": N_("启用"),
    "published": N_("发布"),
    "retired": N_("废止"),
    "imported": N_("导入"),
    "loaded": N_("载入"),
    "locked": N_("锁定"),
    "unlocked": N_("解锁"),
    "password_reset": N_("重置密码"),
    "revoked": N_("撤销"),
    "deleted": N_("删除"),
    "role_changed": N_("变更角色"),
}


def target(kind: str, key: object) -> str:
    return f"{kind}:{key}"


def _plain(value: Any) -> Any:
    """A value as JSON keeps it (dates and enums as text)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return str(value)


def diff(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields that differ, before and after (a creation has no before, a removal no after)."""
    b = {k: _plain(v) for k, v in (before or {}).items()}
    a = {k: _plain(v) for k, v in (after or {}).items()}
    if before is None or after is None:
        return b, a
    keys = [k for k in {**b, **a} if b.get(k) != a.get(k)]
    return {k: b.get(k) for k in keys}, {k: a.get(k) for k in keys}


def record_change(
    session: Session,
    *,
    actor: User,
    at: datetime,
    kind: str,
    key: object,
    change: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    ip: str | None = None,
    note: str | None = None,
) -> AuditEntry | None:
    """Append the change to the audit log (the caller commits). An update that changes no field
    writes nothing and returns None."""
    b, a = diff(before, after)
    if before is not None and after is not None and not a and not b:
        return None
    detail: dict[str, Any] = {"change": change, "kind": kind, "before": b, "after": a}
    if note:
        detail["note"] = note
    return audit.record(
        session,
        at=at,
        action=ACTION,
        success=True,
        user_id=actor.id,
        ip=ip,
        target=target(kind, key),
        detail=detail,
    )


@dataclass(frozen=True)
class Change:
    at: datetime
    actor: str
    change: str
    before: dict[str, Any]
    after: dict[str, Any]
    note: str | None

    @property
    def label(self) -> Text | str:
        return LABELS.get(self.change, self.change)


def history(kind: str, key: object, limit: int = 200) -> list[Change]:
    """The object's changes, newest first, with the admin's username."""
    rows = db.session.execute(
        sa.select(AuditEntry, User.username)
        .outerjoin(User, User.id == AuditEntry.user_id)
        .where(AuditEntry.action == ACTION, AuditEntry.target == target(kind, key))
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    ).all()
    return [
        Change(
            at=entry.at,
            actor=username or "",
            change=str(entry.detail.get("change", "")),
            before=dict(entry.detail.get("before") or {}),
            after=dict(entry.detail.get("after") or {}),
            note=entry.detail.get("note"),
        )
        for entry, username in rows
    ]
