"""The office's canned notes (supplement requests, rejection reasons, other)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from ...domain.errors import DomainError
from ...services import office as office_ops
from .. import wallclock
from . import forms
from .views import bp, me, office_id

NOTE_KINDS = {"supplement": _l("补正告知"), "rejection": _l("不予受理理由"), "other": _l("其他")}


@bp.route("/notes", methods=["GET", "POST"])
def notes() -> tuple[str, int] | Response:
    form = forms.NoteForm()
    error = None
    if request.method == "POST":
        try:
            office_ops.add_canned_note(
                me(), form.kind.data or "", form.text.data or "", wallclock.now()
            )
        except DomainError as exc:
            error = exc.message
        else:
            flash(_("常用语已添加"), "success")
            return redirect(url_for("clerk.notes"))
    items = office_ops.canned_notes(office_id())
    return render_template(
        "clerk/notes.html",
        kinds=NOTE_KINDS,
        error=error,
        form={"kind": form.kind.data or "", "text": form.text.data or ""},
        groups=[
            (kind, label, [n for n in items if n.kind == kind])
            for kind, label in NOTE_KINDS.items()
        ],
    ), (422 if error else 200)


@bp.post("/notes/<int:note_id>/delete")
def delete_note(note_id: int) -> Response:
    try:
        office_ops.delete_canned_note(me(), note_id)
    except DomainError:
        abort(404)
    flash(_("常用语已删除"), "success")
    return redirect(url_for("clerk.notes"))
