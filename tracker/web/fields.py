"""WTForms fields that read their value through ``tracker/web/inputs`` (one set of bounds).

A value outside the bounds reads as None (or as cleaned text), exactly as ``inputs`` reads it;
whether a missing value is an error is the form's validators' business.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from babel import support
from flask import has_request_context
from flask_babel import get_locale
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Field, StringField
from wtforms.i18n import messages_path
from wtforms.widgets import HiddenInput, TextInput

from .inputs import INT_MAX, clean_text, one_line, parse_date, parse_int


def _first(valuelist: Sequence[Any]) -> str | None:
    value = valuelist[0] if valuelist else None
    return value if isinstance(value, str) else None


@lru_cache(maxsize=8)
def _wtforms_catalogue(locale: str) -> support.NullTranslations:
    """WTForms' own messages ("Not a valid integer value.") in one language, read once per
    process: Flask-WTF re-reads and re-parses this .mo file on every request that builds a
    form (about 0.5 ms, docs/performance.md)."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class _FormTranslations:
    """WTForms' translations object for the request's language (``Meta.get_translations``)."""

    def _catalogue(self) -> support.NullTranslations:
        return _wtforms_catalogue(str(get_locale()) if has_request_context() else "zh")

    def gettext(self, string: str) -> str:
        return self._catalogue().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._catalogue().ungettext(singular, plural, n)


_TRANSLATIONS = _FormTranslations()


class Form(FlaskForm):
    """Every form's base: Flask-WTF's, with WTForms' messages read once per language."""

    class Meta:
        def get_translations(self, form: Any) -> _FormTranslations:
            return _TRANSLATIONS


class IntField(Field):
    """A whole number in [lo, hi] (``inputs.parse_int``), else None."""

    widget = TextInput()

    def __init__(
        self,
        label: Any = None,
        validators: Any = None,
        *,
        lo: int = 1,
        hi: int = INT_MAX,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.lo, self.hi = lo, hi

    def process_data(self, value: Any) -> None:
        self.data = value if isinstance(value, int) else None

    def process_formdata(self, valuelist: Sequence[Any]) -> None:
        self.data = parse_int(_first(valuelist), self.lo, self.hi)


class VersionField(IntField):
    """The case version a page was drawn at (hidden)."""

    widget = HiddenInput()


class DateField(Field):
    """An ISO date inside ``inputs``' bounds, else None."""

    widget = TextInput()

    def process_data(self, value: Any) -> None:
        self.data = value if isinstance(value, date) else None

    def process_formdata(self, valuelist: Sequence[Any]) -> None:
        self.data = parse_date(_first(valuelist))


class TextField(StringField):
    """Free text (newlines kept) through ``inputs.clean_text``, cut to ``limit``."""

    def __init__(
        self, label: Any = None, validators: Any = None, *, limit: int, **kwargs: Any
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.limit = limit

    def process_data(self, value: Any) -> None:
        self.data = clean_text(value if isinstance(value, str) else None, self.limit)

    def process_formdata(self, valuelist: Sequence[Any]) -> None:
        self.data = clean_text(_first(valuelist), self.limit)


class LineField(TextField):
    """One line of text through ``inputs.one_line``, cut to ``limit``."""

    def process_formdata(self, valuelist: Sequence[Any]) -> None:
        self.data = one_line(_first(valuelist), self.limit)


class ChoiceField(Field):
    """One of ``choices`` (strings), else None: a hand-made value never reaches a service."""

    widget = TextInput()

    def __init__(
        self,
        label: Any = None,
        validators: Any = None,
        *,
        choices: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.allowed = tuple(choices)

    def process_data(self, value: Any) -> None:
        self.data = value if value in self.allowed else None

    def process_formdata(self, valuelist: Sequence[Any]) -> None:
        value = _first(valuelist)
        self.data = value if value in self.allowed else None


class QueryForm(Form):
    """A form read from the query string (GET): no CSRF token, never "submitted"."""

    class Meta:
        csrf = False

    def __init__(self, args: Any, **kwargs: Any) -> None:
        if not hasattr(args, "getlist"):
            args = MultiDict(args)  # a plain mapping of one value per name
        super().__init__(formdata=args, **kwargs)


def errors_of(form: FlaskForm) -> dict[str, str]:
    """The first error of each field, by field name (what the templates show beside it)."""
    return {
        name: str(messages[0])
        for name, messages in form.errors.items()
        if messages and name != "csrf_token"
    }
