"""/admin/offices: the offices (窗口) of each department in each region — list, create, edit,
deactivate and reactivate (no longer offered to applicants; cases keep working), delete only
what nothing refers to. An office takes part in every service of its department; the edit
page lists them."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ...domain.text import N_
from ...models import Office
from ...services import admin_changes, admin_orgs
from .. import loc, say, wallclock
from .common import actor, arg, form_data, page_number, show_errors
from .forms import ActionForm, OfficeEditForm, OfficeForm
from .regions import province_options
from .views import bp, section

section(
    "admin.offices",
    N_("部门窗口"),
    N_("各地各部门的办事窗口：新增、修改、停用；停用后不再提供给申请人。"),
    order=20,
)


def _choices(form: OfficeEditForm, office: Office | None) -> None:
    regions = admin_orgs.region_choices(active_only=False)
    keep = office.region_code if office else None
    form.region_code.choices = [("", _("请选择"))] + [
        (r.code, f"{r.code} {loc(r, 'name')}" + ("" if r.active else " " + _("（已停用）")))
        for r in regions
        if r.active or r.code == keep
    ]
    form.department_code.choices = [("", _("请选择"))] + [
        (d.code, f"{d.code} {loc(d, 'name')}") for d in admin_orgs.departments()
    ]


@bp.get("/offices")
def offices() -> str:
    filters = {
        "q": arg("q"),
        "province": arg("province", 6),
        "department": arg("department", 16),
        "active": arg("active", 3),
    }
    found = admin_orgs.list_offices(**filters, page=page_number())  # type: ignore[arg-type]
    return render_template(
        "admin/offices.html",
        found=found,
        filters=filters,
        province_options=province_options(),
        department_options=[(d.code, loc(d, "name")) for d in admin_orgs.departments()],
    )


@bp.route("/offices/new", methods=["GET", "POST"])
def offices_new() -> str | Response:
    form = OfficeForm()
    _choices(form, None)
    if request.method == "GET":
        form.region_code.data = arg("region", 6)
    if form.validate_on_submit():
        try:
            o = admin_orgs.create_office(form_data(form), actor=actor(), now=wallclock.now())
        except admin_orgs.AdminFormError as exc:
            show_errors(form, exc.errors)
        else:
            flash(_("已新建部门窗口 %(code)s。", code=o.code), "success")
            return redirect(url_for("admin.offices_edit", code=o.code))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/office_form.html", form=form, office=None), status  # type: ignore[return-value]


@bp.route("/offices/<code>", methods=["GET", "POST"])
def offices_edit(code: str) -> str | Response:
    office = admin_orgs.office(code)
    if office is None:
        abort(404)
    form = OfficeEditForm(obj=office)
    _choices(form, office)
    if form.validate_on_submit():
        try:
            admin_orgs.update_office(
                office.code, form_data(form), actor=actor(), now=wallclock.now()
            )
        except admin_orgs.AdminFormError as exc:
            show_errors(form, exc.errors)
        else:
            flash(_("已保存。"), "success")
            return redirect(url_for("admin.offices_edit", code=office.code))
    refs = admin_orgs.office_references(office)
    return render_template(
        "admin/office_form.html",
        form=form,
        office=office,
        refs=refs,
        services=admin_orgs.services_of(office),
        action=ActionForm(),
        changes=admin_changes.history("office", office.code),
    ), 422 if form.is_submitted() else 200  # type: ignore[return-value]


@bp.post("/offices/<code>/active")
def offices_active(code: str) -> Response:
    office = admin_orgs.office(code)
    if office is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    try:
        admin_orgs.set_office_active(office.code, active, actor=actor(), now=wallclock.now())
    except admin_orgs.Refused as exc:
        flash(say(exc.message), "error")
    else:
        flash(
            _("已启用，申请人可以选择该窗口。")
            if active
            else _("已停用：不再提供给申请人，已有办件照常办理。"),
            "success",
        )
    return redirect(url_for("admin.offices_edit", code=office.code))


@bp.post("/offices/<code>/delete")
def offices_delete(code: str) -> Response:
    office = admin_orgs.office(code)
    if office is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        admin_orgs.delete_office(office.code, actor=actor(), now=wallclock.now())
    except admin_orgs.Refused as exc:
        flash(say(exc.message), "error")
        return redirect(url_for("admin.offices_edit", code=office.code))
    flash(_("已删除部门窗口 %(code)s。", code=code), "success")
    return redirect(url_for("admin.offices"))
