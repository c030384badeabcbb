"""/admin/staff: accounts — clerks of an office, supervisors of a region scope; reset a
password (a one-time password shown once), lock and unlock with a reason, deactivate and
reactivate, last login. Citizens: only lock and unlock, their data masked. An admin never
changes their own account here, never creates an admin."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ...domain.states import Role
from ...domain.text import N_
from ...models import User
from ...services import admin_changes, admin_orgs, admin_staff
from .. import loc, say, wallclock
from .common import actor, arg, form_data, page_number, show_errors
from .forms import ActionForm, ReasonForm, StaffEditForm, StaffForm
from .views import bp, section

section(
    "admin.staff",
    N_("工作人员账号"),
    N_("窗口人员、监督人员：新建、重置密码、锁定、停用；申请人账号只能锁定或解锁。"),
    order=60,
)

ROLE_NAMES = {
    Role.CLERK.value: N_("窗口人员"),
    Role.SUPERVISOR.value: N_("监督人员"),
    Role.ADMIN.value: N_("管理员"),
    Role.CITIZEN.value: N_("申请人"),
}
STATE_NAMES = {"active": N_("账号正常"), "inactive": N_("已停用"), "locked": N_("已锁定")}


def _choices(form: StaffEditForm, user: User | None) -> None:
    form.role.choices = [("", _("请选择"))] + [
        (r.value, say(ROLE_NAMES[r.value])) for r in admin_staff.STAFF_ROLES
    ]
    keep = user.office_id if user else None
    offices = [o for o in admin_orgs.list_all_offices() if o.active or o.id == keep]
    form.office_code.choices = [("", _("请选择"))] + [
        (o.code, f"{o.code} {loc(o, 'name')}") for o in offices
    ]
    form.scope_region_code.choices = [("", _("全部地区"))] + [
        (r.code, f"{r.code} {loc(r, 'name')}") for r in admin_orgs.region_choices(active_only=False)
    ]


def _no_store(page: str, status: int = 200) -> Response:
    """A page with a one-time password: never kept by the browser or a proxy."""
    response = Response(page, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/staff")
def staff() -> str:
    filters = {
        "q": arg("q"),
        "role": arg("role", 12),
        "office": arg("office", 32),
        "state": arg("state", 8),
    }
    found = admin_staff.list_accounts(**filters, page=page_number())  # type: ignore[arg-type]
    return render_template(
        "admin/staff.html",
        found=found,
        filters=filters,
        roles=ROLE_NAMES,
        role_options=[(k, say(v)) for k, v in ROLE_NAMES.items()],
        state_options=[(k, say(v)) for k, v in STATE_NAMES.items()],
    )


@bp.route("/staff/new", methods=["GET", "POST"])
def staff_new() -> str | Response:
    form = StaffForm()
    _choices(form, None)
    if request.method == "GET":
        form.office_code.data = arg("office", 32)
        form.role.data = arg("role", 12)
    if form.validate_on_submit():
        try:
            user, password = admin_staff.create_staff(
                form_data(form), actor=actor(), now=wallclock.now()
            )
        except admin_orgs.AdminFormError as exc:
            show_errors(form, exc.errors)
        else:
            return _no_store(
                render_template(
                    "admin/staff_password.html",
                    account=admin_staff.account(user),
                    password=password,
                    created=True,
                )
            )
    status = 422 if form.is_submitted() else 200
    return render_template("admin/staff_form.html", form=form), status  # type: ignore[return-value]


def _target(user_id: int) -> User:
    user = admin_staff.user(user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/staff/<int:user_id>", methods=["GET", "POST"])
def staff_edit(user_id: int) -> str | Response:
    user = _target(user_id)
    form = StaffEditForm(obj=user)
    if request.method == "GET":
        form.role.data = user.role.value
        form.office_code.data = user.office.code if user.office else ""
        form.scope_region_code.data = user.scope_region_code or ""
    _choices(form, user)
    # Someone else's staff account: the form is checked; anything else (one's own account, an
    # admin, a citizen) goes straight to the service, which says why it refuses.
    editable = user.role in admin_staff.STAFF_ROLES and user.id != actor().id
    if request.method == "POST" and (form.validate_on_submit() or not editable):
        try:
            admin_staff.update_staff(user.id, form_data(form), actor=actor(), now=wallclock.now())
        except admin_orgs.AdminFormError as exc:
            show_errors(form, exc.errors)
        except admin_orgs.Refused as exc:
            form.form_errors.append(exc.message)
        else:
            flash(_("已保存。"), "success")
            return redirect(url_for("admin.staff_edit", user_id=user_id))
        user = _target(user_id)  # afresh after the refusal, still without the sealed ID
    return _edit_page(user, form, ReasonForm(formdata=None), 422 if form.is_submitted() else 200)


def _edit_page(user: User, form: StaffEditForm, reason: ReasonForm, status: int) -> Response:
    me = actor()
    return _no_store(
        render_template(
            "admin/staff_edit.html",
            account=admin_staff.account(user),
            form=form,
            reason_form=reason,
            action=ActionForm(),
            own=user.id == me.id,
            editable=user.role in admin_staff.STAFF_ROLES and user.id != me.id,
            roles=ROLE_NAMES,
            changes=admin_changes.history("user", user.id),
        ),
        status,
    )


@bp.post("/staff/<int:user_id>/password")
def staff_password(user_id: int) -> Response:
    user = _target(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        user, password = admin_staff.reset_password(user.id, actor=actor(), now=wallclock.now())
    except admin_orgs.Refused as exc:
        flash(say(exc.message), "error")
        return redirect(url_for("admin.staff_edit", user_id=user_id))
    return _no_store(
        render_template(
            "admin/staff_password.html",
            account=admin_staff.account(user),
            password=password,
            created=False,
        )
    )


@bp.post("/staff/<int:user_id>/lock")
def staff_lock(user_id: int) -> Response:
    user = _target(user_id)
    reason = ReasonForm()
    lock = request.form.get("lock") == "1"
    if reason.validate_on_submit():
        try:
            admin_staff.set_locked(
                user_id, lock, reason.reason.data or "", actor=actor(), now=wallclock.now()
            )
        except admin_orgs.AdminFormError as exc:
            show_errors(reason, exc.errors)
        except admin_orgs.Refused as exc:
            flash(say(exc.message), "error")
            return redirect(url_for("admin.staff_edit", user_id=user_id))
        else:
            flash(_("已锁定，该账号的登录均已结束。") if lock else _("已解锁。"), "success")
            return redirect(url_for("admin.staff_edit", user_id=user_id))
    form = StaffEditForm(formdata=None, obj=user)
    form.role.data = user.role.value
    form.office_code.data = user.office.code if user.office else ""
    form.scope_region_code.data = user.scope_region_code or ""
    _choices(form, user)
    return _edit_page(user, form, reason, 422)


@bp.post("/staff/<int:user_id>/active")
def staff_active(user_id: int) -> Response:
    user = _target(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    try:
        admin_staff.set_active(user.id, active, actor=actor(), now=wallclock.now())
    except admin_orgs.Refused as exc:
        flash(say(exc.message), "error")
    else:
        flash(_("已启用。") if active else _("已停用，该账号的登录均已结束。"), "success")
    return redirect(url_for("admin.staff_edit", user_id=user_id))
