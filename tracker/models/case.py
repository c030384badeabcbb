"""Cases and everything hanging off them. ``CaseEvent`` is the append-only history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.effects import NO_DEADLINE  # noqa: F401  (re-exported: models.NO_DEADLINE)
from ..domain.precheck import answered
from ..domain.service_spec import FormField, FormMaterial, form_fields, form_materials
from ..domain.states import OPEN_STATES, CaseStatus, HandlingMode, Role, SubTaskStatus
from ..extensions import db
from ._types import SealedJSON, UTCDateTime, enum_column, utcnow
from .bundle import BundleApplication
from .catalogue import Office, Service, ServiceField, ServiceMaterial, ServiceVersion
from .user import User

_status = enum_column(CaseStatus, "case_status")
# The open states as SQL, for the partial queue index (and queries that must match it).
OPEN_SQL = ", ".join(f"'{s.value}'" for s in sorted(OPEN_STATES))


class Case(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "cases"
    __table_args__ = (
        # A clerk's queue: the office's cases by the day it must act (PERFORMANCE.md): one
        # index for filters by status, one for the default "everything open by deadline".
        sa.Index("ix_cases_queue", "custody_office_id", "status", "act_by", "id"),
        # service_id trails the order columns: the supervisor's overdue/at-risk counts per
        # office and service read this index alone (covering), the queue still sorts on it.
        sa.Index(
            "ix_cases_queue_open",
            "custody_office_id",
            "act_by",
            "id",
            "service_id",
            sqlite_where=sa.text(f"status IN ({OPEN_SQL})"),
            postgresql_where=sa.text(f"status IN ({OPEN_SQL})"),
        ),
        sa.Index("ix_cases_applicant", "applicant_id", "submitted_at"),
        # Supervision at scale: late completions per office, backlog by age, workload,
        # pending extensions (partial indexes hold only the rows those pages look at).
        sa.Index("ix_cases_completed", "competent_office_id", "completed_at"),
        sa.Index(
            "ix_cases_open_received",
            "custody_office_id",
            "received_on",
            sqlite_where=sa.text(f"status IN ({OPEN_SQL})"),
            postgresql_where=sa.text(f"status IN ({OPEN_SQL})"),
        ),
        sa.Index(
            "ix_cases_open_assignee",
            "custody_office_id",
            "assignee_id",
            sqlite_where=sa.text(f"status IN ({OPEN_SQL})"),
            postgresql_where=sa.text(f"status IN ({OPEN_SQL})"),
        ),
        sa.Index(
            "ix_cases_extension_pending",
            "custody_office_id",
            sqlite_where=sa.text("extension_requested_days IS NOT NULL"),
            postgresql_where=sa.text("extension_requested_days IS NOT NULL"),
        ),
        sa.Index("ix_cases_competent", "competent_office_id", "status"),
        sa.Index("ix_cases_receiving", "receiving_office_id", "status"),
        sa.UniqueConstraint("applicant_id", "idempotency_key", name="uq_cases_idempotency"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.CheckConstraint("extension_days >= 0", name="extension_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_number: Mapped[str] = mapped_column(sa.String(15), unique=True)
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id"), index=True)
    applicant_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    receiving_office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id"))
    competent_office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id"))
    custody_office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id"))
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[CaseStatus] = mapped_column(_status)
    version: Mapped[int] = mapped_column(default=1)
    # Copied from the service at submission: a later catalogue edit must not move old deadlines.
    mode: Mapped[HandlingMode] = mapped_column(enum_column(HandlingMode, "case_mode"))
    promised_days: Mapped[int]
    # The version of the service it was filed under: its form and materials render from it.
    service_version: Mapped[int] = mapped_column(default=1, server_default="1")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_on: Mapped[date]  # working-day arithmetic is in Asia/Shanghai dates
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clock_start_on: Mapped[date | None]  # the legal acceptance date the clock counts from
    due_on: Mapped[date | None]  # NULL: not accepted, paused, or its year's calendar not loaded
    due_pending_year: Mapped[int | None]  # set when the due date waits for a year's calendar
    act_by: Mapped[date | None]  # acceptance deadline before acceptance, due date after
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extension_days: Mapped[int] = mapped_column(default=0)
    extension_requested_days: Mapped[int | None]  # a request awaiting a supervisor
    extension_due_on: Mapped[date | None]  # the due date when that request was made
    lateness_code: Mapped[str | None] = mapped_column(sa.String(16))  # decided late: why
    lateness_note: Mapped[str | None] = mapped_column(sa.String(500))
    formal_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    identity_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivery_method: Mapped[str | None] = mapped_column(sa.String(16))
    delivery_ref: Mapped[str | None] = mapped_column(sa.String(64))  # waybill or pickup code
    delivery_status: Mapped[str | None] = mapped_column(sa.String(16))  # domain/delivery.py
    applicant_phone_last4: Mapped[str] = mapped_column(sa.String(4))
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(64))
    idempotency_hash: Mapped[str | None] = mapped_column(sa.String(64))  # of the request body
    # The applicant's answers can hold ID numbers and health facts: sealed at rest (#21).
    form_data: Mapped[dict[str, Any]] = mapped_column(SealedJSON("cases.form_data"), default=dict)
    # The guided pre-check's answers {question code: value} (they tell of employment, health,
    # family: sealed like the form) and their situation code (情形编码, SXQXBM); NULL: none.
    precheck: Mapped[dict[str, str] | None] = mapped_column(SealedJSON("cases.precheck"))
    situation_code: Mapped[str | None] = mapped_column(sa.String(16))
    # 一件事一次办: the bundle application this case was filed with (NULL: filed alone).
    bundle_application_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("bundle_applications.id"), index=True
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    service: Mapped[Service] = relationship()
    bundle_application: Mapped[BundleApplication | None] = relationship(back_populates="cases")
    filed_version: Mapped[ServiceVersion | None] = relationship(
        primaryjoin="and_(foreign(Case.service_id) == ServiceVersion.service_id, "
        "foreign(Case.service_version) == ServiceVersion.version)",
        viewonly=True,
    )
    applicant: Mapped[User] = relationship(foreign_keys=[applicant_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    receiving_office: Mapped[Office] = relationship(foreign_keys=[receiving_office_id])
    competent_office: Mapped[Office] = relationship(foreign_keys=[competent_office_id])
    custody_office: Mapped[Office] = relationship(foreign_keys=[custody_office_id])
    events: Mapped[list[CaseEvent]] = relationship(
        order_by="CaseEvent.id", back_populates="case", viewonly=True
    )
    pauses: Mapped[list[ClockPause]] = relationship(order_by="ClockPause.id", viewonly=True)
    subtasks: Mapped[list[SubTask]] = relationship(order_by="SubTask.id", viewonly=True)
    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id", viewonly=True)

    @property
    def form_fields(self) -> list[FormField] | list[ServiceField]:
        """The questions of the version the case was filed under (the live rows while that
        version is still the service's current one and has not been frozen yet)."""
        frozen = self.filed_version
        return form_fields(frozen.snapshot) if frozen is not None else self.service.fields

    @property
    def precheck_questions(self) -> list[dict[str, Any]]:
        """The pre-check questions of the version the case was filed under."""
        frozen = self.filed_version
        spec = frozen.snapshot if frozen is not None else {"precheck": self.service.precheck}
        return list(spec.get("precheck") or [])

    @property
    def precheck_answered(self) -> list[tuple[Any, Any]]:
        """(question, chosen choice or None) of the stored pre-check answers."""
        return answered(self.precheck_questions, self.precheck or {})

    @property
    def form_materials(self) -> list[FormMaterial] | list[ServiceMaterial]:
        """The materials of the version the case was filed under (see ``form_fields``)."""
        frozen = self.filed_version
        return form_materials(frozen.snapshot) if frozen is not None else self.service.materials


class CaseEvent(db.Model):  # type: ignore[name-defined,misc]
    """Append-only: who did what to which case, when, from which state to which, and why."""

    __tablename__ = "case_events"
    __table_args__ = (
        sa.Index("ix_case_events_case", "case_id", "id"),
        sa.Index("ix_case_events_at", "at", "action"),
        sa.Index("ix_case_events_office_action_at", "office_id", "action", "at", "actor_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_role: Mapped[Role] = mapped_column(enum_column(Role, "event_actor_role"))
    office_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offices.id"))
    action: Mapped[str] = mapped_column(sa.String(32))
    from_status: Mapped[CaseStatus | None] = mapped_column(
        enum_column(CaseStatus, "event_from_status")
    )
    to_status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus, "event_to_status"))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(sa.String(45))

    case: Mapped[Case] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
    office: Mapped[Office | None] = relationship()


class ClockPause(db.Model):  # type: ignore[name-defined,misc]
    """An interval when the legal clock does not run (supplements, special procedures)."""

    __tablename__ = "clock_pauses"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('supplement', 'special_procedure')", name="kind"),
        sa.CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="ordered"),
        sa.Index("ix_clock_pauses_case", "case_id", "ended_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(sa.String(24))
    started_on: Mapped[date]
    ended_on: Mapped[date | None]
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    items: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)  # 补正 items


OPEN_SUBTASK_STATES = (SubTaskStatus.ACCEPTED, SubTaskStatus.NEGOTIATING, SubTaskStatus.SENT)
OPEN_SUBTASK_SQL = ", ".join(f"'{s.value}'" for s in OPEN_SUBTASK_STATES)


class SubTask(db.Model):  # type: ignore[name-defined,misc]
    """A cooperating office's part of a joint case (多地联办), e.g. a numbered contact letter."""

    __tablename__ = "subtasks"
    __table_args__ = (
        sa.Index("ix_subtasks_office", "office_id", "status"),
        sa.Index("ix_subtasks_case", "case_id"),
        # The office's unfinished sub-tasks, oldest first (a queue panel): read in order and
        # stopped after a page, where (office_id, status) sorted thousands at 1M cases.
        sa.Index(
            "ix_subtasks_office_open",
            "office_id",
            "created_at",
            "id",
            sqlite_where=sa.text(f"status IN ({OPEN_SUBTASK_SQL})"),
            postgresql_where=sa.text(f"status IN ({OPEN_SUBTASK_SQL})"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"))
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id"))
    letter_number: Mapped[str] = mapped_column(sa.String(32), unique=True)  # 联系函编号
    role_zh: Mapped[str] = mapped_column(sa.String(128))
    task_zh: Mapped[str] = mapped_column(sa.Text, default="")
    limit_days: Mapped[int | None]
    status: Mapped[SubTaskStatus] = mapped_column(enum_column(SubTaskStatus, "subtask_status"))
    was_accepted: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    office: Mapped[Office] = relationship()


class Attachment(db.Model):  # type: ignore[name-defined,misc]
    """A material filed with a case: an uploaded file (random stored name) or a cited e-licence."""

    __tablename__ = "attachments"
    __table_args__ = (
        sa.CheckConstraint(
            "stored_name IS NOT NULL OR e_licence_number IS NOT NULL", name="file_or_licence"
        ),
        sa.Index("ix_attachments_case", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"))
    material_code: Mapped[str] = mapped_column(sa.String(64))
    original_name: Mapped[str | None] = mapped_column(sa.String(255))  # metadata only
    stored_name: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    content_type: Mapped[str | None] = mapped_column(sa.String(64))
    size: Mapped[int | None]
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    e_licence_number: Mapped[str | None] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Rating(db.Model):  # type: ignore[name-defined,misc]
    """好差评: one per case, 1 (非常不满意) … 5 (非常满意)."""

    __tablename__ = "ratings"
    __table_args__ = (
        sa.CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
        sa.Index("ix_ratings_office", "office_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), unique=True)
    applicant_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id"))
    score: Mapped[int]
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # 追评: after the office's reply to a bad rating, once (services/ratings.follow_up)
    follow_up_score: Mapped[int | None]
    follow_up_comment: Mapped[str | None] = mapped_column(sa.Text)
    follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Notification(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    title: Mapped[str] = mapped_column(sa.String(128))
    body: Mapped[str] = mapped_column(sa.Text)
    # What the notice was made from (action, service names, reason, due date), so a page can
    # say it in the reader's language; NULL for notices written before it was kept.
    params: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TrackingSequence(db.Model):  # type: ignore[name-defined,misc]
    """The last serial used per province and day, for tracking numbers."""

    __tablename__ = "tracking_sequences"

    scope: Mapped[str] = mapped_column(sa.String(8), primary_key=True)  # province2 + yymmdd
    last: Mapped[int] = mapped_column(default=0)
