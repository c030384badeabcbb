"""Security events: sign-ins, lockouts, refused access, reveals of personal data. Rows are
appended by ``tracker.services.audit.record`` only, each sealed to the one before it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._types import UTCDateTime, utcnow


class AuditEntry(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "audit_log"
    __table_args__ = (
        sa.Index("ix_audit_log_user", "user_id", "at"),
        sa.Index("ix_audit_log_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(sa.String(32))  # login, login_failed, locked, denied …
    success: Mapped[bool]
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    target: Mapped[str | None] = mapped_column(sa.String(128))  # path or object
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # Tamper evidence (tracker/domain/auditchain.py): the previous row's seal and this row's,
    # written by tracker.services.audit.record only.
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))
    hash: Mapped[str | None] = mapped_column(sa.String(64))
