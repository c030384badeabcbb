"""A citizen's materials wallet (我的材料): files and e-licence numbers kept for reuse.

Each stored file has exactly one owner. A wallet item owns its own sealed file; a case's
``Attachment`` owns another. Reusing an item copies its file for the new case, so deleting
the item removes its file at once and never touches a case's evidence (``services/wallet``).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._types import UTCDateTime, utcnow


class WalletItem(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "wallet_items"
    __table_args__ = (
        sa.CheckConstraint(
            "stored_name IS NOT NULL OR e_licence_number IS NOT NULL", name="file_or_licence"
        ),
        sa.Index("ix_wallet_items_user", "user_id", "material_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    material_code: Mapped[str] = mapped_column(sa.String(64))  # the kind: a catalogue code
    original_name: Mapped[str | None] = mapped_column(sa.String(255))  # metadata only
    stored_name: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    content_type: Mapped[str | None] = mapped_column(sa.String(64))
    size: Mapped[int | None]
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    e_licence_number: Mapped[str | None] = mapped_column(sa.String(64))
    first_case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
