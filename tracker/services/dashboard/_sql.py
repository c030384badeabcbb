"""Small pieces the dashboard's queries share: the open-case predicate, the Beijing day of a
stored moment in SQL, and :func:`redact` for free text leaving the dashboard."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa

from ...extensions import db
from ...models.case import OPEN_SQL


def open_status() -> sa.TextClause:
    # Spelled exactly like the partial index's predicate so that the planner can use it.
    return sa.text(f"cases.status IN ({OPEN_SQL})")


def local_day_sql(column: Any) -> Any:
    """The Beijing calendar day of a stored UTC moment, in SQL (China has no daylight time)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.date(sa.func.timezone("Asia/Shanghai", column))
    # Whole seconds only: SQLite rounds fractions to milliseconds, which could cross midnight.
    return sa.func.date(sa.func.substr(column, 1, 19), "+8 hours")


def as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


_NUMBERS = (
    re.compile(r"(?<![0-9])1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}(?![0-9])"),  # mobiles
    re.compile(r"(?<![0-9])[0-9]{7,}[0-9Xx]?(?![0-9])"),
)  # IDs, accounts, landlines


def redact(text: str | None, names: Iterable[str] = ()) -> str:
    """Free text as a supervisor may see it: runs of 7+ digits (phones, ID numbers, bank
    accounts) and the given names masked."""
    if not text:
        return ""
    out = text
    for pattern in _NUMBERS:
        out = pattern.sub(lambda m: "*" * len(m.group()), out)
    for name in names:
        if name and len(name) >= 2:
            out = out.replace(name, name[0] + "*" * (len(name) - 1))
    return out
