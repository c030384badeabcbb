"""Written notices kept with a case (受理通知书, 不予受理决定书, …) and their numbering."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._types import SealedJSON, UTCDateTime, utcnow

if TYPE_CHECKING:
    from .case import Case
    from .catalogue import Office


class Notice(db.Model):  # type: ignore[name-defined,misc]
    """One numbered, dated notice. ``facts`` and ``text`` (the notice's words, rendered from
    the templates when it was issued) are sealed: they name the applicant. The PDF is made
    from them on first use and kept (``pdf`` sealed, base64) with its SHA-256 ``digest``."""

    __tablename__ = "notices"
    __table_args__ = (
        sa.Index("ix_notices_case", "case_id", "id"),
        sa.UniqueConstraint("number", name="uq_notices_number"),
        sa.UniqueConstraint("verification_code", name="uq_notices_verification_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(sa.String(24))
    action: Mapped[str | None] = mapped_column(sa.String(32))  # the move that issued it
    number: Mapped[str] = mapped_column(sa.String(64))
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    clerk_name: Mapped[str] = mapped_column(sa.String(64), default="")
    facts: Mapped[dict[str, Any]] = mapped_column(SealedJSON("notices.facts"), default=dict)
    text: Mapped[dict[str, Any]] = mapped_column(SealedJSON("notices.text"), default=dict)
    verification_code: Mapped[str] = mapped_column(sa.String(24))
    template: Mapped[str] = mapped_column(sa.String(128), default="")
    pdf: Mapped[str | None] = mapped_column(sa.Text)  # sealed base64 of the signed PDF
    digest: Mapped[str | None] = mapped_column(sa.String(64))  # SHA-256 of the PDF, hex
    rendered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signer: Mapped[str | None] = mapped_column(sa.String(64))  # signing cert's SHA-256 (hex)

    case: Mapped[Case] = relationship()
    office: Mapped[Office] = relationship()


class NoticeSequence(db.Model):  # type: ignore[name-defined,misc]
    """The last notice serial per office and year (numbers run per office per year)."""

    __tablename__ = "notice_sequences"

    scope: Mapped[str] = mapped_column(sa.String(48), primary_key=True)  # office id:year
    last: Mapped[int] = mapped_column(default=0)
