"""Words for people, written in the domain, shown in the reader's language by the web layer.

The domain is pure (no Flask, no Babel), yet its refusals reach people. ``N_`` marks a Chinese
message for extraction (``pybabel extract -k N_``, docs/i18n.md) and returns a ``Text``: the
Chinese string itself (so logs, tests and APIs that compare strings are unchanged) that also
keeps its msgid and named placeholders, so ``tracker.web.say`` can show it in English.
"""

from __future__ import annotations

from datetime import date
from typing import Any


class Text(str):
    """A message in Chinese that remembers the msgid and values it was made from."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, params: dict[str, Any] | None = None) -> Text:
        values = dict(params or {})
        self = super().__new__(cls, msgid % values if values else msgid)
        self.msgid = msgid
        self.params = values
        return self


def N_(msgid: str, **params: Any) -> Text:  # noqa: N802 (the gettext convention for "no-op")
    """Mark ``msgid`` for translation; fill its ``%(name)s`` placeholders now, in Chinese."""
    return Text(msgid, params)


class Named(str):
    """A name from the catalogue put into a message: the Chinese name (the string itself) and
    its English (``en``, may be empty), so ``say`` can name it in the reader's language."""

    en: str

    def __new__(cls, zh: str, en: str = "") -> Named:
        self = super().__new__(cls, zh)
        self.en = en
        return self


class Day(Named):
    """A date put into a message: Chinese prose writes ``2026年11月09日`` (the string itself);
    any other language formats ``day`` its own way (Babel, in the web layer and in
    ``tracker.services.wording``); ``en`` is the ISO date for a reader of the bare value."""

    day: date

    def __new__(cls, day: date) -> Day:
        self = str.__new__(cls, f"{day:%Y年%m月%d日}")
        self.en = day.isoformat()
        self.day = day
        return self
