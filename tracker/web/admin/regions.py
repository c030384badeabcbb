"""/admin/regions: the GB/T 2260 regions (provinces, prefectures, counties) — list, create,
edit, deactivate and reactivate, delete only what nothing refers to."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ...domain.text import N_
from ...models import Region
from ...services import admin_changes, admin_orgs
from .. import loc, say, wallclock
from .common import actor, arg, form_data, page_number, show_errors
from .forms import ActionForm, RegionEditForm, RegionForm
from .views import bp, section

section(
    "admin.regions",
    N_("行政区划"),
    N_("省、地市、县区（GB/T 2260 代码）：新增、修改、停用。"),
    order=10,
)


def _choices(form: RegionEditForm, region: Region | None) -> None:
    if isinstance(form, RegionForm):
        form.level.choices = [("", _("请选择"))] + [
            (k, say(v)) for k, v in admin_orgs.LEVEL_NAMES.items()
        ]
    parents = admin_orgs.region_choices(levels=("province", "prefecture"))
    form.parent_code.choices = [("", _("无（省级）"))] + [
        (r.code, f"{r.code} {loc(r, 'name')}")
        for r in parents
        if region is None or r.code != region.code
    ]


def province_options() -> list[tuple[str, str]]:
    return [(p.code, f"{p.code} {loc(p, 'name')}") for p in admin_orgs.provinces()]


@bp.get("/regions")
def regions() -> str:
    filters = {
        "q": arg("q"),
        "province": arg("province", 6),
        "level": arg("level", 12),
        "active": arg("active", 3),
    }
    found = admin_orgs.list_regions(**filters, page=page_number())  # type: ignore[arg-type]
    return render_template(
        "admin/regions.html",
        found=found,
        filters=filters,
        province_options=province_options(),
        level_options=[(k, say(v)) for k, v in admin_orgs.LEVEL_NAMES.items()],
        levels=admin_orgs.LEVEL_NAMES,
    )


@bp.route("/regions/new", methods=["GET", "POST"])
def regions_new() -> str | Response:
    form = RegionForm()
    _choices(form, None)
    if form.validate_on_submit():
        try:
            r = admin_orgs.create_region(form_data(form), actor=actor(), now=wallclock.now())
        except admin_orgs.AdminFormError as exc:
            show_errors(form, exc.errors)
        else:
            flash(_("已新建地区 %(code)s %(name)s。", code=r.code, name=r.name_zh), "success")
            return redirect(url_for("admin.regions_edit", code=r.code))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "admin/region_form.html", form=form, region=None, levels=admin_orgs.LEVEL_NAMES
    ), status  # type: ignore[return-value]


@bp.route("/regions/<code>", methods=["GET", "POST"])
def regions_edit(code: str) -> str | Response:
    region = admin_orgs.region(code)
    if region is None:
        abort(404)
    form = RegionEditForm(obj=region)
    _choices(form, region)
    if form.validate_on_submit():
        try:
            admin_orgs.update_region(
                region.code, form_data(form), actor=actor(), now=wallclock.now()
            )
        except admin_orgs.AdminFormError as exc:
            show_errors(form, exc.errors)
        else:
            flash(_("已保存。"), "success")
            return redirect(url_for("admin.regions_edit", code=region.code))
    return _edit_page(region, form)


def _edit_page(region: Region, form: RegionEditForm) -> str | Response:
    refs = admin_orgs.region_references(region)
    status = 422 if form.is_submitted() and request.endpoint == "admin.regions_edit" else 200
    return render_template(
        "admin/region_form.html",
        form=form,
        region=region,
        refs=refs,
        action=ActionForm(),
        changes=admin_changes.history("region", region.code),
        levels=admin_orgs.LEVEL_NAMES,
    ), status  # type: ignore[return-value]


@bp.post("/regions/<code>/active")
def regions_active(code: str) -> Response:
    region = admin_orgs.region(code)
    if region is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    try:
        admin_orgs.set_region_active(region.code, active, actor=actor(), now=wallclock.now())
    except admin_orgs.Refused as exc:
        flash(say(exc.message), "error")
    else:
        flash(_("已启用。") if active else _("已停用。"), "success")
    return redirect(url_for("admin.regions_edit", code=region.code))


@bp.post("/regions/<code>/delete")
def regions_delete(code: str) -> Response:
    region = admin_orgs.region(code)
    if region is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        admin_orgs.delete_region(region.code, actor=actor(), now=wallclock.now())
    except admin_orgs.Refused as exc:
        flash(say(exc.message), "error")
        return redirect(url_for("admin.regions_edit", code=region.code))
    flash(_("已删除地区 %(code)s。", code=code), "success")
    return redirect(url_for("admin.regions"))
