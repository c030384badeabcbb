"""One way to read a value a person typed or a URL carried: dates, whole numbers, free text.

Every form and query string of the web layer reads its values through these functions (or the
WTForms filters built on them), so one set of bounds holds everywhere: a date between
``MIN_DAY`` and ``MAX_DAY`` in ISO form, a whole number in ASCII digits inside the range the
caller names (never beyond a 32-bit database integer), text without control characters, cut
to a length. A value outside them reads as missing (None) — never an exception, never a 500.
"""

from __future__ import annotations

from datetime import date

from ..domain.forms import iso_date

MIN_DAY = date(2000, 1, 1)
MAX_DAY = date(2100, 12, 31)
INT_MAX = 2**31 - 1  # the largest id or count a database integer column holds


def parse_int(value: str | None, lo: int = 1, hi: int = INT_MAX) -> int | None:
    """A whole number in [lo, hi] written in ASCII digits, else None."""
    value = (value or "").strip()
    if not value.isascii() or not value.isdigit() or len(value) > 10:
        return None
    number = int(value)
    return number if lo <= number <= hi else None


def parse_date(value: str | None) -> date | None:
    """An ISO date (YYYY-MM-DD) between ``MIN_DAY`` and ``MAX_DAY``, else None."""
    day = iso_date((value or "").strip())
    return day if day is not None and MIN_DAY <= day <= MAX_DAY else None


def clean_text(value: str | None, limit: int) -> str:
    """Trimmed text without control characters (newlines kept), cut to ``limit``."""
    text = "".join(c for c in (value or "") if c in "\n\t" or (ord(c) >= 0x20 and ord(c) != 0x7F))
    return text.replace("\r", "").strip()[:limit]


def one_line(value: str | None, limit: int) -> str:
    """``clean_text`` for a single-line field: newlines and tabs become spaces."""
    return clean_text(value, limit).replace("\n", " ").replace("\t", " ")
