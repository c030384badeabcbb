"""URL converters: every ``<int:…>`` in a route is a number the database can hold.

Werkzeug's own ``int`` converter accepts any run of digits (Unicode digits included), so
``/clerk/notes/99999999999999999999/delete`` reached the view and the database driver raised
(SQLite: ``OverflowError``; PostgreSQL: integer out of range) — a 500. ``create_app`` registers
``BoundedInt`` as ``int`` before any blueprint, so every ``<int:…>`` of every blueprint matches
only 1 to 10 ASCII digits with a value in [0, ``INT_MAX``]; anything else does not match the
route and answers 404, with no check needed in a view (SECURITY.md catalogue row 22).
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

from .inputs import INT_MAX


class BoundedInt(IntegerConverter):
    """``int`` for ids: ASCII digits only, at most ten of them, value in [min, max]."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 0)
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)  # (``signed=True`` prefixes ``-?`` to the regex)
