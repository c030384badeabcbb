"""Test helpers: the rollup tables as plain dicts, to compare counters with a recount."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import AreaRollup, DailyRollup, OpenCaseDay

Key = tuple[date, int, int, str]
AreaKey = tuple[str, str, str, date]  # area, subset, metric, day


def open_days_snapshot() -> dict[tuple[int, str, date, int], int]:
    return {
        (r.office_id, r.kind, r.day, r.service_id): r.count
        for r in db.session.scalars(sa.select(OpenCaseDay))
    }


def snapshot() -> dict[Key, int]:
    return {
        (r.day, r.office_id, r.service_id, r.metric): r.count
        for r in db.session.scalars(sa.select(DailyRollup))
    }


def area_snapshot() -> dict[AreaKey, int]:
    return {
        (r.area, r.subset, r.metric, r.day): r.count
        for r in db.session.scalars(sa.select(AreaRollup))
    }
