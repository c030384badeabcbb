"""API tokens: bearer credentials for outside systems (INTERFACES.md, "JSON API").

Only a SHA-256 digest of the secret is stored; the secret is shown once when created.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._types import UTCDateTime, utcnow
from .catalogue import Office
from .user import User


class ApiToken(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "api_tokens"
    __table_args__ = (
        sa.CheckConstraint("scope IN ('citizen', 'office', 'supervisor')", name="scope"),
        sa.CheckConstraint(
            "(scope = 'office' AND office_id IS NOT NULL AND user_id IS NULL)"
            " OR (scope != 'office' AND user_id IS NOT NULL AND office_id IS NULL)",
            name="scope_holder",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    scope: Mapped[str] = mapped_column(sa.String(12))
    # citizen and supervisor tokens act for one user; office tokens for an office's clerks
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    office_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offices.id"), index=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))  # shown in lists: "tb_AbCd…"
    digest: Mapped[str] = mapped_column(sa.String(64), unique=True)  # sha256 hex of the secret
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(80))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()
    office: Mapped[Office | None] = relationship()
