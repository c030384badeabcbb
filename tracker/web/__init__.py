"""One blueprint per audience; each installs its access guard in ``before_request``."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import get_locale


def loc(obj: Any, attr: str) -> str:
    """``obj.<attr>_zh`` or ``obj.<attr>_en`` by the current language (falls back to Chinese)."""
    lang = get_locale()
    if lang is not None and lang.language == "en":
        value = getattr(obj, f"{attr}_en", None)
        if value:
            return str(value)
    return str(getattr(obj, f"{attr}_zh"))


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.globals.update(loc=loc, get_locale=get_locale)
