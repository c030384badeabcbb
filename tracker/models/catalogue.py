"""Regions, departments, offices and the service catalogue: data, not code."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.states import HandlingMode
from ..extensions import db
from ._types import UTCDateTime, enum_column


class Region(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "regions"
    __table_args__ = (
        sa.CheckConstraint("level IN ('province', 'prefecture', 'county')", name="level"),
    )

    code: Mapped[str] = mapped_column(sa.String(6), primary_key=True)  # GB/T 2260
    parent_code: Mapped[str | None] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    level: Mapped[str] = mapped_column(sa.String(12))
    name_zh: Mapped[str] = mapped_column(sa.String(64))
    name_en: Mapped[str] = mapped_column(sa.String(128))
    # Deactivated by an admin: no new offices under it; kept for what refers to it.
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    parent: Mapped[Region | None] = relationship(remote_side=[code])

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"


class Department(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    name_zh: Mapped[str] = mapped_column(sa.String(64))
    name_en: Mapped[str] = mapped_column(sa.String(128))


class Office(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "offices"
    __table_args__ = (sa.Index("ix_offices_department_region", "department_code", "region_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    region_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"))
    department_code: Mapped[str] = mapped_column(sa.ForeignKey("departments.code"))
    name_zh: Mapped[str] = mapped_column(sa.String(128))
    name_en: Mapped[str] = mapped_column(sa.String(256))
    address: Mapped[str] = mapped_column(sa.String(256), default="")
    phone: Mapped[str] = mapped_column(sa.String(32), default="")
    # Deactivated by an admin: not offered to applicants (pages, API, Open311); its cases
    # keep working.
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    region: Mapped[Region] = relationship()
    department: Mapped[Department] = relationship()


class Service(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "services"
    __table_args__ = (
        sa.CheckConstraint(
            "promised_days >= 0 AND promised_days <= statutory_days",
            name="promised_within_statutory",
        ),
        sa.CheckConstraint("receiving IN ('any', 'competent')", name="receiving"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(128))
    name_en: Mapped[str] = mapped_column(sa.String(256))
    department_code: Mapped[str] = mapped_column(sa.ForeignKey("departments.code"), index=True)
    mode: Mapped[HandlingMode] = mapped_column(enum_column(HandlingMode, "handling_mode"))
    statutory_days: Mapped[int]  # 法定时限, working days
    promised_days: Mapped[int]  # 承诺时限, working days; drives the due date
    limits_confirmed: Mapped[bool] = mapped_column(default=False)
    fee_zh: Mapped[str] = mapped_column(sa.String(128), default="不收费")
    fee_en: Mapped[str] = mapped_column(sa.String(128), default="Free")
    summary_zh: Mapped[str] = mapped_column(sa.Text, default="")
    summary_en: Mapped[str] = mapped_column(sa.Text, default="")
    legal_basis_zh: Mapped[str] = mapped_column(sa.Text, default="")
    legal_basis_en: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    result_zh: Mapped[str] = mapped_column(sa.Text, default="")
    result_en: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    receiving: Mapped[str] = mapped_column(sa.String(16), default="any")
    competent_department_code: Mapped[str] = mapped_column(sa.ForeignKey("departments.code"))
    active: Mapped[bool] = mapped_column(default=True)  # False: retired, no new filings
    # The published version the live rows (this one and its children) hold; a case keeps the
    # version it was filed under (cases.service_version), frozen in service_versions.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Other names people use for it (公积金转移, 医保备案, gjj-style short forms are derived by
    # the search index, not stored): zh or en strings from services.json "aliases".
    aliases: Mapped[list[str] | None] = mapped_column(sa.JSON)
    # Guided pre-check (情形引导): the questions answered before the form, as in services.json
    # "precheck" (domain/precheck.py); NULL or [] for none.
    precheck: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON)

    department: Mapped[Department] = relationship(foreign_keys=[department_code])
    materials: Mapped[list[ServiceMaterial]] = relationship(
        order_by="ServiceMaterial.position", cascade="all, delete-orphan"
    )
    fields: Mapped[list[ServiceField]] = relationship(
        order_by="ServiceField.position", cascade="all, delete-orphan"
    )
    cooperations: Mapped[list[ServiceCooperation]] = relationship(
        order_by="ServiceCooperation.position", cascade="all, delete-orphan"
    )


class ServiceMaterial(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "service_materials"
    __table_args__ = (sa.UniqueConstraint("service_id", "code", name="uq_service_materials_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id", ondelete="CASCADE"))
    position: Mapped[int]
    code: Mapped[str] = mapped_column(sa.String(64))
    name_zh: Mapped[str] = mapped_column(sa.String(128))
    name_en: Mapped[str] = mapped_column(sa.String(256))
    required: Mapped[bool]
    e_licence: Mapped[bool] = mapped_column(default=False)  # an 电子证照 may stand in
    note_zh: Mapped[str] = mapped_column(sa.Text, default="")
    note_en: Mapped[str] = mapped_column(sa.Text, default="", server_default="")


class ServiceField(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "service_fields"
    __table_args__ = (
        sa.UniqueConstraint("service_id", "name", name="uq_service_fields_name"),
        sa.CheckConstraint(
            "type IN ('text', 'textarea', 'select', 'date', 'integer', 'money', 'phone', "
            "'resident_id', 'region', 'office')",
            name="type",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id", ondelete="CASCADE"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(64))
    label_zh: Mapped[str] = mapped_column(sa.String(128))
    label_en: Mapped[str] = mapped_column(sa.String(256))
    type: Mapped[str] = mapped_column(sa.String(16))
    required: Mapped[bool]
    max_length: Mapped[int | None]
    min_value: Mapped[int | None]
    max_value: Mapped[int | None]
    choices: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON)
    help_zh: Mapped[str] = mapped_column(sa.Text, default="")
    help_en: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # ``office`` fields: the department whose offices the field lists, and the region field
    # of the same form it follows (None: any region).
    department_code: Mapped[str | None] = mapped_column(sa.String(16))
    region_field: Mapped[str | None] = mapped_column(sa.String(64))


class ServiceCooperation(db.Model):  # type: ignore[name-defined,misc]
    """A cooperating office role in a joint service (多地联办): one sub-task each."""

    __tablename__ = "service_cooperations"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id", ondelete="CASCADE"))
    position: Mapped[int]
    department_code: Mapped[str] = mapped_column(sa.ForeignKey("departments.code"))
    role_zh: Mapped[str] = mapped_column(sa.String(128))
    role_en: Mapped[str] = mapped_column(sa.String(256))
    task_zh: Mapped[str] = mapped_column(sa.Text, default="")
    task_en: Mapped[str] = mapped_column(sa.Text, default="")
    limit_days: Mapped[int | None]


class ServiceVersion(db.Model):  # type: ignore[name-defined,misc]
    """A published version of a service, frozen: the document of ``domain.service_spec`` (an
    entry of services.json). Written before the live rows change, never updated; a service
    whose current version has no row yet is described by its live rows."""

    __tablename__ = "service_versions"

    service_id: Mapped[int] = mapped_column(
        sa.ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(primary_key=True)
    snapshot: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class ServiceDraft(db.Model):  # type: ignore[name-defined,misc]
    """An admin's unpublished edit of a service (or of a service not yet published): at most
    one per service code. Publishing turns it into the next version and removes it."""

    __tablename__ = "service_drafts"

    code: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    snapshot: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    based_on: Mapped[int | None]  # the version it was started from (None: a new service)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
