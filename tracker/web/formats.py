"""Dates, times and numbers as a person reads them, in the page's language (issue 14 item 1).

Everything goes through Babel with the request's locale (``tracker.web._babel``):

- **Chinese** keeps the numeric dates of Chinese government service systems (GB/T 7408):
  ``2026-11-02``, ``2026-11-02 10:05``, short ``11-02`` — compact in tables and what the
  offices' own systems print;
- **any other language** takes its CLDR formats: English ``Nov 2, 2026``,
  ``Nov 2, 2026, 10:05 AM``, short ``Nov 2``.

Times are shown in Beijing time (``Asia/Shanghai``, the zone of every office we serve); a
naive datetime is taken as UTC, as stored. Numbers have the locale's grouping (``12,345``) and
percentages one decimal (``95.3%``).

Machine formats stay machine formats: ``<time datetime>``, ``<input type="date">`` values,
CSV downloads, JSON and Open311 keep ISO 8601 and plain numbers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime, get_date_format, get_time_format
from babel.numbers import format_decimal, format_percent

# Styles a template or a builder asks for (``{{ x | local_time('date') }}``).
DATE = "date"  # 2026-11-02 | Nov 2, 2026
DATETIME = "datetime"  # 2026-11-02 10:05 | Nov 2, 2026, 10:05 AM
SECONDS = "seconds"  # 2026-11-02 10:05:00 | Nov 2, 2026, 10:05:00 AM
MONTH_DAY = "month_day"  # 11-02 | Nov 2
MONTH_DAY_SECONDS = "month_day_seconds"  # 11-02 10:05:00 | Nov 2, 10:05:00 AM
STYLES = (DATE, DATETIME, SECONDS, MONTH_DAY, MONTH_DAY_SECONDS)

# The strftime formats the templates used to pass, read as the style they meant.
_LEGACY = {
    "%Y-%m-%d": DATE,
    "%Y-%m-%d %H:%M": DATETIME,
    "%Y-%m-%d %H:%M:%S": SECONDS,
    "%m-%d": MONTH_DAY,
    "%m-%d %H:%M:%S": MONTH_DAY_SECONDS,
}

# Languages whose patterns are set here rather than taken from CLDR.
_FIXED = {
    "zh": {
        DATE: "yyyy-MM-dd",
        DATETIME: "yyyy-MM-dd HH:mm",
        SECONDS: "yyyy-MM-dd HH:mm:ss",
        MONTH_DAY: "MM-dd",
        MONTH_DAY_SECONDS: "MM-dd HH:mm:ss",
    }
}
FALLBACK = Locale("zh")


def _shanghai() -> Any:
    from ..services.calendar import SHANGHAI

    return SHANGHAI


def current_locale() -> Locale:
    """The page's locale; Chinese outside a request (a builder called from a test)."""
    from flask import has_request_context

    if not has_request_context():
        return FALLBACK
    from . import _babel

    found = _babel()[0]
    return found if isinstance(found, Locale) else FALLBACK


@lru_cache(maxsize=64)
def pattern(locale: Locale, style: str) -> str:
    """The Babel pattern for ``style`` in ``locale``."""
    fixed = _FIXED.get(locale.language)
    if fixed is not None:
        return fixed[style]
    if style == DATE:
        return str(get_date_format("medium", locale=locale).pattern)
    if style == MONTH_DAY:
        return str(locale.datetime_skeletons["MMMd"].pattern)
    glue = str(locale.datetime_formats["medium"])  # "{1}, {0}": {1} the date, {0} the time
    time = get_time_format("medium" if "seconds" in style else "short", locale=locale).pattern
    day = (
        locale.datetime_skeletons["MMMd"].pattern
        if style.startswith("month_day")
        else get_date_format("medium", locale=locale).pattern
    )
    return glue.replace("{1}", str(day)).replace("{0}", str(time))


@lru_cache(maxsize=16)
def _group(locale: Locale) -> str:
    return str(locale.number_symbols.get("latn", locale.number_symbols).get("group", ","))


def _style(fmt: str | None, default: str) -> str:
    if not fmt:
        return default
    if fmt in STYLES:
        return fmt
    if fmt in _LEGACY:
        return _LEGACY[fmt]
    raise ValueError(f"unknown date style {fmt!r}: one of {STYLES}")


def beijing(moment: datetime) -> datetime:
    """A stored moment (UTC; naive taken as UTC) in Beijing time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_shanghai())


def local_time(moment: datetime | None, fmt: str | None = None) -> str:
    """A stored (UTC) moment in Beijing time, in the page's language. ``fmt``: a style of
    ``STYLES`` (default ``datetime``)."""
    if moment is None:
        return ""
    locale = current_locale()
    local = beijing(moment)
    style = _style(fmt, DATETIME)
    return str(format_datetime(local, pattern(locale, style), locale=locale))


def day(value: date | None, fmt: str | None = None) -> str:
    """A calendar date (a due date, a received-on date) in the page's language."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local_time(value, fmt or DATE)
    locale = current_locale()
    return str(format_date(value, pattern(locale, _style(fmt, DATE)), locale=locale))


def number(value: float | None, digits: int | None = None) -> str:
    """``12,345``; with ``digits``, that many decimals (``3.5``). ``None`` is ""."""
    if value is None:
        return ""
    locale = current_locale()
    if digits is None:
        if isinstance(value, int):  # most cells: counts (Babel takes ~10 µs; this ~0.3)
            return f"{value:,}".replace(",", _group(locale))
        return str(format_decimal(value, locale=locale))
    fmt = "#,##0" + ("." + "0" * digits if digits else "")
    return str(format_decimal(value, fmt, locale=locale))


def percent(value: float | None, digits: int = 1) -> str:
    """A share (0.953) as the locale writes it: ``95.3%``. ``None`` is ""."""
    if value is None:
        return ""
    fmt = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return str(format_percent(value, fmt, locale=current_locale()))


def filesize(size: int | None) -> str:
    """12 KB, 1.5 MB; a tiny file reads "<1 KB", not "0 KB"."""
    n = size or 0
    if n < 1024:
        return "<1 KB"
    if n < 1024 * 1024:
        return f"{number(round(n / 1024))} KB"
    return f"{number(n / 1024 / 1024, 1)} MB"
