"""Rectification of bad ratings (差评整改): verify → rectify → reply → follow-up → review."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._types import UTCDateTime, utcnow

STAGES = ("verify", "rectify", "reply", "follow_up", "review", "closed")


class Rectification(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "rectifications"
    __table_args__ = (
        sa.CheckConstraint("stage IN ('verify', 'rectify', 'reply', 'follow_up', 'review', "
                           "'closed')", name="stage"),
        sa.Index("ix_rectifications_office", "office_id", "stage", "due_on"),
        # Covering for the count by stage of the items opened in a range (supervisor pages).
        sa.Index("ix_rectifications_office_created", "office_id", "created_at", "stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(sa.ForeignKey("ratings.id"), unique=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"))
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id"))
    stage: Mapped[str] = mapped_column(sa.String(12), default="verify")
    due_on: Mapped[date | None]
    history: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
