"""Daily counters: what dashboards read instead of cases.

Two tables with the same counters at two grains:

* ``daily_rollups`` — day × office × service × metric, the fine grain: the truth that
  ``tracker rollup --rebuild`` recounts from the event history and the open-data export reads.
* ``area_rollups`` — the same counts summed per *area* (everything ``*``, each region on the
  office's line up to its province, and the office itself ``o:<id>``) and *subset* (every
  service ``*``, one department ``d:<code>``, one service ``s:<id>``; offices only ``*``).
  A supervisor's page reads a handful of its rows per day whatever the volume: a 30-day
  Sichuan dashboard touches the same rows at 100,000 cases as at 1,000,000, where the fine
  grain touches every office × service × metric that occurred.

``area_rollups`` is always equal to the fine table summed by area and subset
(:func:`tracker.services.rollup.derive_areas`); each event adds to both in its transaction.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class DailyRollup(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "daily_rollups"
    # WITHOUT ROWID on SQLite: rows are stored in primary-key order (day first), so a date
    # range is one sequential, covering read (measured at 1M cases: 29 ms instead of 107 ms).
    __table_args__ = (
        sa.Index("ix_daily_rollups_office_day", "office_id", "day"),
        {"sqlite_with_rowid": False},
    )

    day: Mapped[date] = mapped_column(primary_key=True)  # Beijing date of the event
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id"), primary_key=True)
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id"), primary_key=True)
    metric: Mapped[str] = mapped_column(sa.String(24), primary_key=True)
    count: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class AreaRollup(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "area_rollups"
    # Key order: a page asks for one area and subset, a list of metrics and a range of days,
    # so each (area, subset, metric) is one contiguous run of days (WITHOUT ROWID on SQLite:
    # the rows are the primary-key B-tree, every read is covering).
    __table_args__ = ({"sqlite_with_rowid": False},)

    area: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    subset: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    metric: Mapped[str] = mapped_column(sa.String(24), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)  # Beijing date of the event
    count: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class OpenCaseDay(db.Model):  # type: ignore[name-defined,misc]
    """Open cases per holding office, day and service, by the day they must be acted on
    (``kind`` "act_by") and by the day they were received ("received_on"): overdue, at-risk
    and backlog-by-age figures sum a few rows per office and day here instead of counting
    every open case. Kept by database triggers on ``cases`` (see the migration that made the
    table), so every write — the services, the bulk generator, an operator's SQL — keeps it
    equal to a count of the cases; ``tracker rollup --rebuild`` recounts it."""

    __tablename__ = "open_case_days"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('act_by', 'received_on')", name="kind"),
        {"sqlite_with_rowid": False},
    )

    office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id"), primary_key=True)
    count: Mapped[int] = mapped_column(sa.Integer, default=0)
