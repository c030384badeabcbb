"""One blueprint per audience; each installs its access guard in ``before_request``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask
from flask_babel import get_locale
from flask_login import current_user

from ..domain.states import Role
from ..domain.workflow import Action


def loc(obj: Any, attr: str) -> str:
    """``obj.<attr>_zh`` or ``obj.<attr>_en`` by the current language (falls back to Chinese)."""
    get = obj.get if isinstance(obj, dict) else lambda key, default=None: getattr(obj, key, default)
    lang = get_locale()
    if lang is not None and lang.language == "en":
        value = get(f"{attr}_en")
        if value:
            return str(value)
    return str(get(f"{attr}_zh", ""))


def action_label(value: str) -> str:
    try:
        action = Action(value)
    except ValueError:
        return value
    lang = get_locale()
    return action.label_en if lang is not None and lang.language == "en" else action.label_zh


def local_time(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC moment shown in Beijing time (the zone of every office we serve)."""
    from ..services.calendar import SHANGHAI

    return "" if moment is None else moment.astimezone(SHANGHAI).strftime(fmt)


def day(value: date | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d")


def answer(value: Any, field: Any) -> str:
    """A stored form answer as a person reads it: region and choice names, not codes."""
    if field.type == "region":
        from ..extensions import db
        from ..models import Region

        region = db.session.get(Region, str(value))
        return loc(region, "name") if region is not None else str(value)
    if field.type == "select":
        for choice in field.choices or ():
            if choice.get("value") == value:
                return loc(choice, "label")
    return str(value)


def filesize(size: int | None) -> str:
    """12 KB, 1.5 MB; a tiny file reads "<1 KB", not "0 KB"."""
    n = size or 0
    if n < 1024:
        return "<1 KB"
    if n < 1024 * 1024:
        return f"{round(n / 1024)} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.globals.update(loc=loc, get_locale=get_locale)
    app.jinja_env.filters.update(action_label=action_label, local_time=local_time, day=day,
                                 answer=answer, filesize=filesize)

    @app.context_processor
    def _unread() -> dict[str, Any]:
        if getattr(current_user, "is_authenticated", False) and current_user.role is Role.CITIZEN:
            from ..services.queries import unread_count

            return {"unread_count": unread_count(current_user)}
        return {"unread_count": 0}
