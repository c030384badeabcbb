"""CSV that spreadsheets open safely: UTF-8 with a BOM (so Excel shows Chinese), and no cell
that a spreadsheet would run as a formula (SECURITY.md #19, OWASP "CSV injection").

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line
feed gets a single quote in front: the spreadsheet then shows it as text, and a person still
reads the original after the quote. Numbers are written as numbers (a negative number is not a
formula), so totals stay summable.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import quote

BOM = "\ufeff"
# What makes Excel, LibreOffice or Google Sheets treat a cell as a formula (or, for tab and
# CR/LF, lets the rest of the cell slide into one).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")

Cell = str | int | float | Decimal | date | datetime | bool | None


def neutralise(value: Cell) -> str | int | float | Decimal:
    """One cell as it is written: text neutralised, numbers kept, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """The whole file: BOM, header, rows; every cell through :func:`neutralise`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return (BOM + out.getvalue()).encode("utf-8")


def _ascii_name(name: str) -> str:
    kept = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "-" for c in name)
    while "--" in kept:
        kept = kept.replace("--", "-")
    return kept.strip("-.") or "export"


def content_disposition(filename: str, fallback: str | None = None) -> str:
    """``attachment`` with an ASCII ``filename`` for old clients and the real (Chinese) name
    as RFC 5987 ``filename*``; quotes, slashes and control characters never get through."""
    clean = "".join(c for c in filename if c.isprintable() and c not in '"\\/')
    clean = clean.strip() or "export"
    ascii_name = _ascii_name(fallback or clean)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(clean, safe='')}"
