"""Rectification of bad ratings (差评整改): verify → rectify → reply → follow-up → review."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.rectification import FIRST_STAGE, RectificationStage
from ..extensions import db
from ._types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .case import Case, Rating

_STAGE_SQL = ", ".join(f"'{s.value}'" for s in RectificationStage)


class _Stage(sa.types.TypeDecorator[RectificationStage]):
    """The stage as a :class:`RectificationStage`, stored as its value in a VARCHAR(12) checked
    by the table's ``stage`` constraint (the schema predates the enum and is unchanged)."""

    impl = sa.String(12)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else RectificationStage(value).value

    def process_result_value(
        self, value: str | None, dialect: sa.Dialect
    ) -> RectificationStage | None:
        return None if value is None else RectificationStage(value)


class Rectification(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "rectifications"
    __table_args__ = (
        sa.CheckConstraint(f"stage IN ({_STAGE_SQL})", name="stage"),
        sa.Index("ix_rectifications_office", "office_id", "stage", "due_on"),
        # Covering for the count by stage of the items opened in a range (supervisor pages).
        sa.Index("ix_rectifications_office_created", "office_id", "created_at", "stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(sa.ForeignKey("ratings.id"), unique=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"))
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id"))
    stage: Mapped[RectificationStage] = mapped_column(_Stage(), default=FIRST_STAGE)
    due_on: Mapped[date | None]
    history: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship(foreign_keys=[case_id], viewonly=True)
    rating: Mapped[Rating] = relationship(foreign_keys=[rating_id], viewonly=True)
