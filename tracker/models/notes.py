"""Canned notes: an office's frequent supplement and rejection reasons."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._types import UTCDateTime, utcnow


class CannedNote(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "canned_notes"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('supplement', 'rejection', 'other')", name="kind"),
        sa.Index("ix_canned_notes_office", "office_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id"))
    kind: Mapped[str] = mapped_column(sa.String(12))
    text: Mapped[str] = mapped_column(sa.String(500))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
