"""The admin blueprint, its guard, the console's home page and the section registry.

One guard for the blueprint: a signed-in admin (anyone else 403; anonymous → log in). Every
change an admin makes goes through :mod:`tracker.services.admin_changes`, which writes it to
the sealed audit log with who, when, before and after, and reads an object's history back.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from ...domain.states import Role
from ...domain.text import Text

bp = Blueprint("admin", __name__, url_prefix="/admin")


@dataclass(frozen=True)
class Section:
    """One entry of the console's menu and home page: where it leads, its name and what an
    admin does there (both marked with ``N_`` and translated when shown)."""

    endpoint: str
    title: Text | str
    summary: Text | str
    order: int = 100


SECTIONS: list[Section] = []


def section(endpoint: str, title: Text | str, summary: Text | str, order: int = 100) -> None:
    """Put a section on the console's menu and home page (call at import time)."""
    if any(s.endpoint == endpoint for s in SECTIONS):
        return
    SECTIONS.append(Section(endpoint, title, summary, order))
    SECTIONS.sort(key=lambda s: (s.order, s.endpoint))


@bp.before_request
@login_required
def _admins_only() -> None:
    if current_user.role is not Role.ADMIN:
        abort(403)


@bp.context_processor
def _menu() -> dict[str, object]:
    return {"admin_sections": SECTIONS}


@bp.get("/")
def home() -> str:
    return render_template("admin/home.html")
