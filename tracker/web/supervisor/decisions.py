"""Supervision's decisions: ratings and the rectification of bad ones (moving an item
through its stages) and extension requests (approve or refuse). Routes of the supervisor
blueprint (``views.bp``, whose guard admits only supervisors); same filters and scope."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...domain import rectification as rules
from ...domain import throughput as tp
from ...domain.errors import DomainError
from ...domain.workflow import Action
from ...services import dashboard as dash
from ...services import extensions as extension_ops
from ...services import rectification
from ...services.cases import StaleCase
from .. import action_label, score_label, stage_label, wallclock
from . import pages
from .forms import SHOW, ExtensionDecisionForm, FilterForm, Filters, RectificationNoteForm
from .reports import extensions as extension_report
from .reports import ratings as ratings_report
from .reports.common import STAGE_FLAGS, scope_name
from .views import _me, bp

# ---- ratings and rectification ------------------------------------------------------------


@bp.get("/ratings")
def ratings() -> Any:
    scope, f = pages.scope(), pages.filters()
    links = pages.links(f)
    show = FilterForm(request.args).show_value()
    office_ids = pages.office_ids(f)
    sel = pages.selection(f, None if pages.all_offices(f) else office_ids)
    per_office = dash.by_office(sel, office_ids, metrics=tp.RATING_METRICS)
    per_service = dash.by_service(sel, list(scope.services))
    office_table, service_table = ratings_report.count_tables(
        scope, links, office_ids, per_office, per_service
    )
    summary = dash.rectification_summary(office_ids, sel, f.today)
    items = dash.rectifications(office_ids, sel, f.today, show=show)
    tables = [
        office_table,
        service_table,
        ratings_report.stage_table(summary),
        ratings_report.items_table(scope, links, show, items),
    ]
    totals = dash.merge(per_office.get(i, {}) for i in office_ids)
    return pages.page(
        "supervisor/ratings.html",
        tables,
        f,
        cards=ratings_report.cards(totals, summary, links),
        chart=ratings_report.chart(totals),
        show=show,
        shows=SHOW,
        where=scope_name(scope),
    )


def _item_or_404(item_id: int, f: Filters) -> dash.RectificationLine:
    item = dash.rectification(item_id, f.today)
    if item is None or item.office_id not in pages.scope().offices:
        abort(404)
    return item


@bp.route("/rectifications/<int:item_id>", methods=["GET", "POST"])
def rectification_item(item_id: int) -> Any:
    scope, f = pages.scope(), pages.filters()
    item = _item_or_404(item_id, f)
    error, note, status = None, "", 200
    if request.method == "POST":
        form = RectificationNoteForm(request.form)
        note = form.note_text(rules.NOTE_MAX + 100)
        try:
            rectification.advance(
                item.id,
                _me(),
                note,
                wallclock.now(),
                expected_stage=form.expected_stage(),
                ip=request.remote_addr,
                send_back=request.form.get("op") == "send_back",
            )
        except rectification.RectificationNotFound:
            g.denial_audited = True  # the service recorded the refusal with the move
            abort(404)
        except rectification.StaleRectification as exc:
            error, status = exc.message, 409
            item = _item_or_404(item_id, f)
        except DomainError as exc:
            error, status = exc.message, 422
        else:
            moved = _item_or_404(item_id, f)
            flash(
                _("已记录，整改事项进入“%(stage)s”阶段", stage=stage_label(moved.stage)), "success"
            )
            return redirect(url_for("supervisor.rectification_item", item_id=item_id, **f.args()))
    return render_template(
        "supervisor/rectification.html",
        item=item,
        f=f,
        scope=scope,
        error=error,
        note=note,
        office=scope.offices[item.office_id],
        service=scope.services[item.service_id],
        stage_flags=STAGE_FLAGS,
        next_stage=rules.next_stage(item.stage),
        can_move=rules.is_open(item.stage)
        and rules.RectificationStage(item.stage) not in rules.OFFICE_STAGES,
        can_send_back=rules.RectificationStage(item.stage) in rules.SEND_BACK,
        form_action=url_for("supervisor.rectification_item", item_id=item.id, **f.args()),
        rating_label=score_label(item.score),
        note_min=rules.NOTE_MIN,
        note_max=rules.NOTE_MAX,
    ), status


# ---- extensions -----------------------------------------------------------------------------


def _extensions_page(
    f: Filters,
    *,
    errors: dict[int, str] | None = None,
    posted: dict[str, str] | None = None,
    status: int = 200,
) -> Any:
    scope = pages.scope()
    pending = dash.pending_extensions(pages.office_ids(f))
    table = extension_report.pending_table(scope, pending)
    return pages.page(
        "supervisor/extensions.html",
        [table],
        f,
        pending=pending,
        errors=errors or {},
        posted=posted or {},
        where=scope_name(scope),
    ), status


@bp.get("/extensions")
def extensions() -> Any:
    return _extensions_page(pages.filters())


@bp.post("/extensions/<int:case_id>")
def decide_extension(case_id: int) -> Any:
    f = pages.filters()
    try:
        extension_ops.case_in_scope(case_id, _me())
    except extension_ops.ExtensionNotFound:
        abort(404)
    form = ExtensionDecisionForm(request.form)
    approve, reason = form.approve(), form.reason_text()
    posted = {"case_id": str(case_id), "reason": reason}
    error, status = None, 422
    if approve is None:
        error = _("请选择批准或驳回")
    elif len(reason) < 2:
        error = _("请填写理由（申请人可见）")
    else:
        try:
            case = extension_ops.decide_extension(
                case_id,
                _me(),
                approve,
                reason,
                wallclock.now(),
                expected_version=form.expected_version(),
                ip=request.remote_addr,
            )
        except extension_ops.ExtensionNotFound:
            abort(404)
        except StaleCase:
            error, status = _("该办件已被他人更新，请查看最新情况后再审批"), 409
        except DomainError as exc:
            error = exc.message
        else:
            done = Action.APPROVE_EXTENSION if approve else Action.REFUSE_EXTENSION
            flash(
                _(
                    "%(number)s：已%(action)s，理由已告知申请人",
                    number=case.tracking_number,
                    action=action_label(done.value),
                ),
                "success",
            )
            return redirect(url_for("supervisor.extensions", **f.args()))
    return _extensions_page(f, errors={case_id: error}, posted=posted, status=status)
