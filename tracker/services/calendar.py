"""The working-day calendar the app uses: the package plus official tables loaded by admins."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ..database import write_transaction
from ..domain.calendar import WorkingCalendar, YearTable, parse_year_table, year_table_to_dict
from ..extensions import db
from ..models import HolidayTable

SHANGHAI = ZoneInfo("Asia/Shanghai")

_cache: dict[str, Any] = {"key": None, "calendar": None, "checked": 0.0, "url": None}
# How often a process looks for tables loaded by another process (a page may ask per row).
RECHECK_SECONDS = 30.0


def local_date(moment: datetime):  # type: ignore[no-untyped-def]
    """The Asia/Shanghai calendar date of a UTC moment: working days are counted in China."""
    return moment.astimezone(SHANGHAI).date()


def get_calendar() -> WorkingCalendar:
    """The calendar with every loaded table; rebuilt only when a table was loaded since.

    A process asks the database whether tables changed at most every ``RECHECK_SECONDS``;
    a load in this process takes effect at once (``load_year_table`` clears the cache).
    """
    url = db.engine.url.render_as_string()
    fresh = time.monotonic() - _cache["checked"] < RECHECK_SECONDS
    if fresh and _cache["url"] == url and _cache["calendar"] is not None:
        calendar: WorkingCalendar = _cache["calendar"]
        return calendar
    loaded = db.session.execute(
        sa.select(sa.func.count(HolidayTable.year), sa.func.max(HolidayTable.loaded_at))
    ).one()
    key = (url, *loaded)
    if _cache["key"] != key:
        tables = {row.year: parse_year_table(row.data)
                  for row in db.session.scalars(sa.select(HolidayTable))}
        _cache["calendar"] = WorkingCalendar(extra_tables=tables)
        _cache["key"] = key
    _cache.update(checked=time.monotonic(), url=url)
    found: WorkingCalendar = _cache["calendar"]
    return found


def load_year_table(data: dict[str, Any], *, loaded_by: str, now: datetime) -> YearTable:
    """Validate and store one year's official schedule (replacing an earlier load of that year).

    Due dates that waited for this year are filled in by ``recompute_pending_due_dates``.
    """
    table = parse_year_table(data)
    with write_transaction() as session:
        row = session.get(HolidayTable, table.year)
        if row is None:
            row = HolidayTable(year=table.year)
            session.add(row)
        row.source = table.source
        row.data = year_table_to_dict(table)
        row.loaded_at = now
        row.loaded_by = loaded_by
    _cache.update(checked=0.0)  # this process sees the new table at once
    return table
