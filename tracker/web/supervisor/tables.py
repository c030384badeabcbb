"""Tables that render as HTML and download as CSV from the same rows, so the two never
disagree. A cell is a plain value, or one of the small types below (a link, a badge, a
percentage, several lines); CSV writes each as text through ``tracker.domain.csvsafe``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any

from flask import Response
from flask_babel import gettext as _
from markupsafe import Markup, escape

from ...domain import csvsafe
from .. import formats


def list_separator() -> str:
    """What separates the items of a list written inline: "；" in Chinese, "; " in English."""
    return _("；")


@dataclass(frozen=True)
class Col:
    label: str
    num: bool = False  # right-aligned, and summable
    nowrap: bool = False  # dates and codes: kept on one line

    @cached_property
    def css(self) -> str:  # read once per cell: computed once per column
        return " ".join(c for c, on in (("sv-num", self.num), ("sv-nowrap", self.nowrap)) if on)


@dataclass(frozen=True)
class Link:
    text: str
    href: str

    def __html__(self) -> str:
        return Markup('<a href="{}">{}</a>').format(self.href, self.text)


@dataclass(frozen=True)
class Flag:
    """A badge: the text says it; ``kind`` picks a style (CSS class ``sv-flag-<kind>``)."""

    text: str
    kind: str

    def __html__(self) -> str:
        return Markup('<span class="badge {}">{}</span>').format(self.kind, self.text)


@dataclass(frozen=True)
class Pct:
    """A share, shown as the page's language writes a percentage (CSV: ``95.3%``)."""

    value: float | None

    def __str__(self) -> str:
        return "—" if self.value is None else formats.percent(self.value)


@dataclass(frozen=True)
class Num:
    """A number shown with fixed decimals (averages), grouped as the page's language does."""

    value: float | None
    digits: int = 1

    def __str__(self) -> str:
        return "—" if self.value is None else formats.number(self.value, self.digits)


@dataclass(frozen=True)
class When:
    """A stored moment: Beijing time in the page's language; ``2026-11-02 10:05`` in the CSV."""

    at: datetime

    def __str__(self) -> str:
        return formats.local_time(self.at)

    def csv(self) -> str:
        return formats.beijing(self.at).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class Period:
    """Days from ``start`` to ``end`` (a week of a daily table): in the page's language on the
    page, ISO in the CSV."""

    start: date
    end: date

    def __str__(self) -> str:
        return _(
            "%(start)s～%(end)s",
            start=formats.day(self.start),
            end=formats.day(self.end, formats.MONTH_DAY),
        )

    def csv(self) -> str:
        return _("%(start)s～%(end)s", start=self.start.isoformat(), end=self.end.strftime("%m-%d"))


@dataclass(frozen=True)
class Lines:
    items: tuple[str, ...]

    def __html__(self) -> str:
        if not self.items:
            return Markup('<span class="cell-empty">{}</span>').format(_("无记录"))
        return Markup('<ul class="sv-lines">{}</ul>').format(
            Markup("").join(Markup("<li>{}</li>").format(i) for i in self.items)
        )


@dataclass
class Table:
    key: str  # the ``table=`` of its CSV download
    title: str
    cols: list[Col]
    rows: list[list[Any]] = field(default_factory=list)
    foot: list[Any] | None = None  # a totals row
    caption: str = ""  # said to screen readers; defaults to the title
    empty: str = ""  # said when there are no rows (the template's default: "没有数据")
    note: str = ""  # shown under the table (e.g. "first 100 of 340")


def text_of(cell: Any) -> csvsafe.Cell:
    if isinstance(cell, Link | Flag):
        return cell.text
    if isinstance(cell, Pct):
        return "" if cell.value is None else f"{cell.value * 100:.1f}%"
    if isinstance(cell, Num):
        return None if cell.value is None else round(cell.value, cell.digits)
    if isinstance(cell, Lines):
        return list_separator().join(cell.items)
    if isinstance(cell, Period | When):
        return cell.csv()
    if isinstance(cell, datetime | date | int | float | str) or cell is None:
        return cell
    return str(cell)


def csv_response(table: Table, filename: str, fallback: str) -> Response:
    rows = [[text_of(c) for c in row] for row in table.rows]
    if table.foot:
        rows.append([text_of(c) for c in table.foot])
    body = csvsafe.to_csv([c.label for c in table.cols], rows)
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = csvsafe.content_disposition(filename, fallback)
    return response


_EMPTY = '<span class="cell-empty">—</span>'


def shown(value: Any) -> Any:
    """A cell's value for the page: dates, times and numbers in the page's language (the CSV
    keeps them as they are, ``text_of``); anything else escaped unless it renders itself."""
    if isinstance(value, datetime):
        return escape(formats.local_time(value))
    if isinstance(value, date):
        return escape(formats.day(value))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return escape(formats.number(value))
    return escape(value)


def table_rows(t: Table) -> Markup:
    """The ``<tr>`` rows of a table's body, exactly as the ``data_table`` macro wrote them
    (templates/supervisor/_macros.html): a Jinja macro loop cost ~25 µs a cell, and a
    dashboard has ~600 cells. Every value goes through ``shown``."""
    cols = t.cols
    heads = [Markup(' class="{}"').format(c.css) if c.css else "" for c in cols]
    labels = [escape(c.label) for c in cols]
    out: list[str] = []
    for row in t.rows:
        out.append("\n    <tr>")
        for i, value in enumerate(row):
            text = _EMPTY if value is None else shown(value)
            if i == 0:
                out.append(f'<th scope="row"{heads[0]}>{text}</th>')
            else:
                out.append(f'<td data-label="{labels[i]}"{heads[i]}>{text}</td>')
        out.append("\n    </tr>")
    return Markup("".join(out))  # noqa: S704  # nosec B704  # literals and escaped values only
