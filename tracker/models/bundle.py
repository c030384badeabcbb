"""一件事一次办: bundles of services for one life event, and the applications filed for them.

A bundle application is one submission that created one linked case per service
(``cases.bundle_application_id``); each case keeps its own offices and clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._types import UTCDateTime, utcnow
from .catalogue import Service
from .user import User

if TYPE_CHECKING:
    from .case import Case


class Bundle(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "bundles"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(128))
    name_en: Mapped[str] = mapped_column(sa.String(256))
    summary_zh: Mapped[str] = mapped_column(sa.Text, default="")
    summary_en: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    members: Mapped[list[BundleService]] = relationship(
        order_by="BundleService.position", cascade="all, delete-orphan"
    )

    @property
    def services(self) -> list[Service]:
        return [m.service for m in self.members]


class BundleService(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "bundle_services"
    __table_args__ = (sa.UniqueConstraint("bundle_id", "service_id", name="uq_bundle_service"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bundle_id: Mapped[int] = mapped_column(sa.ForeignKey("bundles.id"), index=True)
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id"))
    position: Mapped[int] = mapped_column(default=0)

    service: Mapped[Service] = relationship()


class BundleApplication(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "bundle_applications"
    __table_args__ = (
        sa.Index("ix_bundle_applications_applicant", "applicant_id", "created_at"),
        sa.UniqueConstraint("applicant_id", "idempotency_key", name="uq_bundle_idempotency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(16), unique=True)
    applicant_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    bundle_id: Mapped[int] = mapped_column(sa.ForeignKey("bundles.id"))
    region_code: Mapped[str] = mapped_column(sa.String(6))  # where it was filed
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    bundle: Mapped[Bundle] = relationship()
    applicant: Mapped[User] = relationship()
    cases: Mapped[list[Case]] = relationship(
        back_populates="bundle_application", order_by="Case.id"
    )
