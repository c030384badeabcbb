"""Words sent outside a page (SMS, e-mail) in the recipient's language (issue 14 item 1).

A page is translated by the web layer (``tracker.web.say``, Flask-Babel, the request's
language). A text message is written in a service, in the transaction that decides to send it,
for a person whose language is on their account (``users.locale``) or was the page's language
when they asked for it. This module does what ``say`` does, for a language named by the caller,
with plain Babel and the same compiled catalogue (``tracker/translations``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.support import NullTranslations, Translations

from ..domain.text import Day

TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"
SOURCE_LANGUAGE = "zh"  # the msgids are Chinese


@lru_cache(maxsize=8)
def _catalogue(locale: str) -> NullTranslations:
    if locale == SOURCE_LANGUAGE:
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [locale])


def language_of(locale: str | None) -> str:
    """A person's stored language, or the source language when they never chose one."""
    return locale or SOURCE_LANGUAGE


def render(message: Any, locale: str | None) -> str:
    """``message`` (a ``Text`` made by ``N_``, or a constant marked with it) in ``locale``;
    values that are ``Text`` are rendered too, ``Named`` values give their English in English."""
    catalogue = _catalogue(language_of(locale))
    msgid = getattr(message, "msgid", None)
    if msgid is None:
        return str(catalogue.ugettext(str(message)))
    text = str(catalogue.ugettext(msgid))
    params = getattr(message, "params", None) or {}
    if not params:
        return text
    english = language_of(locale) == "en"
    return text % {k: _value(v, locale, english) for k, v in params.items()}


def _value(value: Any, locale: str | None, english: bool) -> Any:
    if getattr(value, "msgid", None) is not None:
        return render(value, locale)
    if english and isinstance(value, Day):
        return format_date(value.day, "medium", locale=language_of(locale))
    en = getattr(value, "en", None) if english and isinstance(value, str) else None
    return en or value
