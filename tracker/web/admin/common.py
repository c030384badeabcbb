"""What the regions, offices and staff pages share: the page number, errors beside fields,
the acting admin and the clock."""

from __future__ import annotations

from collections.abc import Mapping

from flask import request
from flask_login import current_user
from flask_wtf import FlaskForm

from ...domain.text import Text
from ...models import User
from ..inputs import one_line, parse_int


def actor() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def arg(name: str, limit: int = 64) -> str:
    return one_line(request.args.get(name), limit)


def page_number() -> int:
    return parse_int(request.args.get("page"), 1, 100_000) or 1


def show_errors(form: FlaskForm, errors: Mapping[str, Text | str]) -> None:
    """The service's verdict beside the fields it names (``_form``: above the form)."""
    for name, message in errors.items():
        target = getattr(form, name, None) if name != "_form" else None
        if target is not None:
            target.errors = [*target.errors, message]
        else:
            form.form_errors.append(message)


def form_data(form: FlaskForm) -> dict[str, object]:
    return {name: f.data for name, f in form._fields.items() if name != "csrf_token"}
