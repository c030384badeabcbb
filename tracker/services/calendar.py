"""The working-day calendar the app uses: the package plus official tables loaded by admins."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..database import write_transaction
from ..domain.calendar import WorkingCalendar, YearTable, parse_year_table, year_table_to_dict
from ..domain.clock import WorkingDays
from ..domain.errors import UnknownCalendarYear
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
        tables = {
            row.year: parse_year_table(row.data)
            for row in db.session.scalars(sa.select(HolidayTable))
        }
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
        store_year_table(session, table, loaded_by=loaded_by, now=now)
    return table


def store_year_table(
    session: Session, table: YearTable, *, loaded_by: str, now: datetime
) -> dict[str, Any] | None:
    """Store ``table`` in the caller's transaction; returns a summary of the table it replaced
    (None for a first load). This process sees the new table once the caller commits."""
    row = session.get(HolidayTable, table.year)
    before = None
    if row is None:
        row = HolidayTable(year=table.year)
        session.add(row)
    else:
        before = table_summary(parse_year_table(row.data))
    row.source = table.source
    row.data = year_table_to_dict(table)
    row.loaded_at = now
    row.loaded_by = loaded_by
    forget_calendar()
    return before


def table_summary(table: YearTable) -> dict[str, Any]:
    """What the change history keeps of a table: its source and its days."""
    return {
        "source": table.source,
        "holidays": ", ".join(d.isoformat() for d in sorted(table.holidays)),
        "workdays": ", ".join(d.isoformat() for d in sorted(table.workdays)),
    }


def forget_calendar() -> None:
    """Make this process read the loaded tables again at its next question."""
    _cache.update(checked=0.0, key=None)


def calendar_with(session: Session, table: YearTable) -> WorkingCalendar:
    """The calendar with the tables stored so far (seen through ``session``) and ``table``."""
    tables = {
        row.year: parse_year_table(row.data) for row in session.scalars(sa.select(HolidayTable))
    }
    tables[table.year] = table
    return WorkingCalendar(extra_tables=tables)


# ---- a year whose official table is not loaded -----------------------------------------------
#
# The one fallback. A legal deadline never guesses: it stays pending (``due_pending_year``,
# ``act_by = NO_DEADLINE``, the "waiting for the holiday calendar" badge) until an admin loads
# the year. What is an estimate anyway (the "at risk" window, a backlog's age in working days)
# counts Monday to Friday as working days in such a year, the usual case. Callers ask one of
# the functions below instead of catching ``UnknownCalendarYear`` themselves.


def is_working_day_or_estimate(d: date, calendar: WorkingDays | None = None) -> bool:
    """Whether ``d`` is a working day; Monday to Friday in a year without a table."""
    try:
        return (calendar or get_calendar()).is_working_day(d)
    except UnknownCalendarYear:
        return d.weekday() < 5


def add_working_days_or_estimate(start: date, n: int, calendar: WorkingDays | None = None) -> date:
    """The ``n``-th working day after ``start`` (n >= 0), counting Monday to Friday past the
    loaded tables."""
    cal = calendar or get_calendar()
    try:
        return cal.add_working_days(start, n)
    except UnknownCalendarYear:
        d, seen = start, 0
        while seen < n:
            d += timedelta(days=1)
            seen += is_working_day_or_estimate(d, cal)
        return d


def known_working_days(
    start: date, end: date, calendar: WorkingDays | None = None
) -> tuple[list[date], date | None]:
    """The working days from ``start`` to ``end`` as far as the loaded tables go, and the last
    day they cover (None: not even ``start``'s year). For code that indexes days itself and
    must leave a deadline past them pending rather than estimate it (the bulk generator)."""
    cal = calendar or get_calendar()
    days: list[date] = []
    last: date | None = None
    d = start
    while d <= end:
        try:
            working = cal.is_working_day(d)
        except UnknownCalendarYear:
            break
        if working:
            days.append(d)
        last = d
        d += timedelta(days=1)
    return days, last
