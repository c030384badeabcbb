"""The rated office's part of a bad rating's rectification (差评整改): its clerks see the
office's items and record 核实, 整改 and 反馈 (the 反馈 note is the reply the applicant
receives); the supervisor does 回访 and 复核. Another office's item answers 404."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...domain import rectification as rules
from ...domain.errors import DomainError
from ...services import lookups
from ...services import rectification as rect_ops
from .. import stage_label, wallclock
from .views import bp, ip, me, office_id


@bp.get("/rectifications")
def rectifications() -> str:
    show_all = request.args.get("show") == "all"
    items = rect_ops.office_items(office_id(), open_only=not show_all)
    return render_template(
        "clerk/rectifications.html",
        items=items,
        show_all=show_all,
        office=lookups.office(office_id()),
        today=wallclock.now(),
    )


@bp.route("/rectifications/<int:item_id>", methods=["GET", "POST"])
def rectification(item_id: int) -> Any:
    item = rect_ops.office_item(office_id(), item_id)
    if item is None:
        abort(404)
    error, note, status = None, "", 200
    if request.method == "POST":
        note = (request.form.get("note") or "")[: rules.NOTE_MAX + 100]
        stage = request.form.get("stage") or None
        try:
            moved = rect_ops.advance(
                item.id, me(), note, wallclock.now(), expected_stage=stage, ip=ip()
            )
        except rect_ops.RectificationNotFound:
            g.denial_audited = True
            abort(404)
        except rect_ops.StaleRectification as exc:
            error, status = exc.message, 409
        except DomainError as exc:
            error, status = exc.message, 422
        else:
            flash(
                _("已记录，整改事项进入“%(stage)s”阶段", stage=stage_label(moved.stage)), "success"
            )
            return redirect(url_for("clerk.rectification", item_id=item_id))
        item = rect_ops.office_item(office_id(), item_id) or item
    return render_template(
        "clerk/rectification.html",
        item=item,
        history=[
            {**h, "at": datetime.fromisoformat(str(h.get("at")))} for h in (item.history or [])
        ],
        case=item.case,
        rating=item.rating,
        error=error,
        note=note,
        next_stage=rules.next_stage(item.stage),
        can_move=rules.RectificationStage(item.stage) in rules.OFFICE_STAGES,
        can_send_back=False,
        form_action=url_for("clerk.rectification", item_id=item.id),
        note_min=rules.NOTE_MIN,
        note_max=rules.NOTE_MAX,
    ), status
