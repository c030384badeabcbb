"""Idempotency keys of API writes (INTERFACES.md: replay → same answer; same key, other body
→ 422; in flight → 409): one row per (token, key), holding the request's hash and, once the
request is done, the answer it got."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._types import UTCDateTime, utcnow


class ApiIdempotencyKey(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "api_idempotency_keys"
    __table_args__ = (
        sa.UniqueConstraint("token_id", "key", name="uq_api_idempotency_keys_token_key"),
        sa.CheckConstraint("state IN ('in_flight', 'done')", name="state"),
        sa.CheckConstraint(
            "state = 'in_flight' OR response_status IS NOT NULL", name="done_has_answer"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(sa.ForeignKey("api_tokens.id"))
    key: Mapped[str] = mapped_column(sa.String(255))
    request_hash: Mapped[str] = mapped_column(sa.String(64))  # sha256 hex
    state: Mapped[str] = mapped_column(sa.String(12), default="in_flight")
    response_status: Mapped[int | None]
    response_body: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
