"""Users of every role. The full resident ID is stored for lawful reveal only; pages use the mask."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from .. import crypto
from ..domain.states import Role
from ..extensions import db
from ._types import Sealed, UTCDateTime, enum_column, utcnow
from .catalogue import Office, Region


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "users"
    __table_args__ = (
        # Staff of an office, by username. Partial: citizens (office_id NULL) are nearly every
        # row, and a full index on office_id made SQLite's statistics say each office holds
        # them all (it then scanned every user for one office's clerks).
        sa.Index(
            "ix_users_staff_office",
            "office_id",
            "username",
            sqlite_where=sa.text("office_id IS NOT NULL"),
            postgresql_where=sa.text("office_id IS NOT NULL"),
        ),
        sa.CheckConstraint("role != 'clerk' OR office_id IS NOT NULL", name="clerk_has_office"),
        sa.CheckConstraint(
            "role != 'citizen' OR (phone IS NOT NULL AND resident_id IS NOT NULL)",
            name="citizen_identified",
        ),
        sa.CheckConstraint("role = 'citizen' OR username IS NOT NULL", name="staff_username"),
        sa.CheckConstraint(
            "role = 'supervisor' OR scope_region_code IS NULL", name="scope_supervisors_only"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "user_role"))
    username: Mapped[str | None] = mapped_column(sa.String(64), unique=True)  # staff
    phone: Mapped[str | None] = mapped_column(sa.String(11), unique=True)  # citizens
    # Sealed at rest (SECURITY.md #21); found and kept unique by its keyed hash.
    resident_id: Mapped[str | None] = mapped_column(Sealed("users.resident_id", 120))
    resident_id_digest: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    resident_id_masked: Mapped[str | None] = mapped_column(sa.String(18))
    real_name: Mapped[str] = mapped_column(sa.String(64))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    office_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offices.id"))
    # Supervisors: the region they watch (a province, a city …); NULL means every region.
    scope_region_code: Mapped[str | None] = mapped_column(sa.ForeignKey("regions.code"))
    home_region_code: Mapped[str | None] = mapped_column(sa.ForeignKey("regions.code"))
    is_active_account: Mapped[bool] = mapped_column(default=True)
    session_nonce: Mapped[str] = mapped_column(sa.String(32), default=new_nonce)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The interface language the person chose ('zh', 'en'); NULL: never chose (issue 14).
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    # An admin reset the password (a one-time password): change it before anything else.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Locked by an admin, with the reason, until an admin unlocks (failed logins use the
    # timed ``locked_until``).
    locked_reason: Mapped[str | None] = mapped_column(sa.String(200))

    office: Mapped[Office | None] = relationship()
    scope_region: Mapped[Region | None] = relationship(foreign_keys=[scope_region_code])

    @validates("resident_id")
    def _keep_digest(self, _key: str, value: str | None) -> str | None:
        self.resident_id_digest = crypto.lookup(value) if value else None
        return value

    def get_id(self) -> str:
        # The nonce makes logout and password change end every copy of the session cookie.
        return f"{self.id}:{self.session_nonce}"

    @property
    def is_active(self) -> bool:
        return self.is_active_account

    @property
    def display_name(self) -> str:
        return self.username or self.real_name
