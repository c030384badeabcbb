"""The applicant's pages: apply, my cases, one case, supplements, withdraw, rate, notices.

Every route requires a logged-in citizen (one guard for the blueprint); another person's
tracking number answers 404, exactly like a number that does not exist.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

from ...domain.citizen_view import next_step
from ...domain.errors import DomainError
from ...domain.forms import material_problems, validate_answers
from ...domain.precheck import Outcome, answered
from ...domain.rectification import replied
from ...domain.states import CaseStatus, HandlingMode, Role
from ...domain.workflow import Action
from ...models import Case, Office, Region, Service
from ...services import bundles, filing, lookups, notices, queries, uploads, wallet
from ...services import cases as case_ops
from ...services.calendar import local_date
from ...services.uploads import StoredFile, UploadLimits
from .. import loc, say, wallclock
from ..downloads import send_attachment
from ..fields import errors_of
from ..notice_files import send_notice
from . import forms
from .precheck import precheck_hints, precheck_preset, precheck_step

bp = Blueprint("citizen", __name__)


@bp.before_request
@login_required
def _citizens_only() -> None:
    if current_user.role is not Role.CITIZEN:
        # An admin configures and never reads cases or applicants (SECURITY.md, separation
        # of duties): for them these pages do not exist.
        abort(404 if current_user.role is Role.ADMIN else 403)
    g.personal_data = True


def _client_ip() -> str | None:
    return request.remote_addr


def _folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def _own_case(tracking_number: str) -> Case:
    case = queries.applicant_case(current_user, tracking_number.strip().upper())
    if case is None:
        abort(404)
    return case


# ---- apply ---------------------------------------------------------------------------------


def _store_uploads(
    form: forms.MaterialsForm, errors: dict[str, str]
) -> list[tuple[str, StoredFile]]:
    """Store the files chosen in ``form`` (all or none); a refusal goes to errors."""
    incoming = form.files()
    daily = uploads.DailyQuota(
        current_user.id, local_date(wallclock.now()), current_app.config["UPLOAD_DAILY_BYTES"]
    )
    try:
        stored = uploads.store_many(
            [(f.stream, f.filename or "") for _, f in incoming],
            folder=_folder(),
            limits=UploadLimits(),
            daily=daily,
        )
    except DomainError as exc:
        errors["_files"] = exc.message
        g.upload_status = 429 if exc.code == "daily_quota" else 422
        return []
    return [(code, s) for (code, _), s in zip(incoming, stored, strict=True)]


def _refused() -> int:
    """422 for a form to correct; 429 when the day's upload quota was reached."""
    return int(g.get("upload_status", 422))


def _kept_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="kept-upload")


def _kept_token(stored: StoredFile) -> str:
    return str(_kept_signer().dumps({"u": current_user.id, **stored.__dict__}))


def _read_kept(token: str) -> StoredFile | None:
    """A file uploaded with an earlier, refused submit of the same form (signed, same user)."""
    try:
        data = _kept_signer().loads(token)
    except BadSignature:
        return None
    if data.pop("u", None) != current_user.id:
        return None
    stored = StoredFile(**data)
    return stored if (_folder() / stored.stored_name).exists() else None


def _office_choices(service: Service) -> dict[str, list[Office]]:
    return {
        "receiving": queries.offices_of(service.department_code),
        "competent": queries.offices_of(service.competent_department_code),
    }


def _pick_office(offices: list[Office], office_id: int | None) -> Office | None:
    return next((o for o in offices if o.id == office_id), None)


@bp.route("/services/<code>/apply", methods=["GET", "POST"])
def apply(code: str) -> str | Response:
    service = queries.service_by_code(code)
    if service is None:
        abort(404)
    # Guided pre-check (情形引导): questions first (a GET form), then the form for the answers.
    outcome, page = precheck_step(service)
    if page is not None:
        return page
    offices = _office_choices(service)
    regions = lookups.regions()
    form = forms.apply_form([m.code for m in service.materials])
    if not form.is_submitted():
        home = current_user.home_region_code
        _, mine = filing.office_groups(offices["receiving"], home, regions)
        # joint: the competent office receives the case too — the applicant's side
        _, here = filing.office_groups(offices["competent"], home, regions)
        shown = {
            **filing.prefill(service, current_user),
            **precheck_preset(outcome),
            "token": uuid.uuid4().hex,
            "receiving": str(mine.id) if mine else "",
            "competent": str(here.id) if here and service.mode is HandlingMode.JOINT else "",
            **_wallet_defaults(service),
        }
        return _render_apply(service, offices, regions, shown, {}, {}, outcome)

    # Everything typed is shown back as typed; the clean values are what reaches the service.
    shown = request.form.to_dict()
    errors: dict[str, str] = {}
    kept = {
        code: stored
        for code, token in form.kept_tokens().items()
        if (stored := _read_kept(token)) is not None
    }
    new_files = _store_uploads(form, errors)
    kept.update(dict(new_files))
    # 我的材料: a saved file chosen instead of an upload (a file chosen beside it wins)
    saved, gone = wallet.chosen(
        current_user,
        {c: i for c, i in form.wallet_choices().items() if c not in kept},
        _folder(),
    )

    clean, field_errors = validate_answers(
        filing.field_specs(service, outcome),
        request.form,
        today=local_date(wallclock.now()),
        regions=regions,
    )
    errors.update(field_errors)
    for name, message in filing.contradictions(service, outcome, clean, wallclock.now()).items():
        errors.setdefault(name, message)
    licences = form.licences()
    applicable = {m.code for m in filing.applicable_materials(service, outcome)}
    # Files for materials the answers leave out are not filed (the page never offers them).
    uploads.discard([st for code, st in new_files if code not in applicable], _folder())
    new_files = [(code, st) for code, st in new_files if code in applicable]
    kept = {code: stored for code, stored in kept.items() if code in applicable}
    licences = {code: number for code, number in licences.items() if code in applicable}
    saved = {code: item for code, item in saved.items() if code in applicable}
    gone = {code for code in gone if code in applicable}
    errors.update(
        {
            f"material_{k}": v
            for k, v in material_problems(
                filing.material_specs(service, outcome), {*kept, *saved}, licences
            ).items()
        }
    )
    _wallet_gone(gone, errors)
    receiving, competent = _offices_for(service, offices, form, errors)
    form.validate()
    errors.update(errors_of(form))
    if errors or receiving is None or competent is None:
        return _render_apply(service, offices, regions, shown, errors, kept, outcome), _refused()  # type: ignore[return-value]
    copies, gone = wallet.reuse(saved, _folder())
    if gone:  # deleted between the check and the copy
        uploads.discard([s for _, s in copies], _folder())
        _wallet_gone(gone, errors)
        return _render_apply(service, offices, regions, shown, errors, kept, outcome), _refused()  # type: ignore[return-value]
    now = wallclock.now()
    try:
        case = case_ops.submit_case(
            applicant=current_user,
            service=service,
            receiving_office=receiving,
            competent_office=competent,
            form_data=clean,
            now=now,
            idempotency_key=form.idempotency_key(),
            ip=_client_ip(),
            files=[*kept.items(), *copies],
            licences=licences,
            precheck=outcome.answers if outcome is not None else None,
            situation_code=outcome.situation_code if outcome is not None else None,
        )
    except DomainError as exc:
        uploads.discard([s for _, s in copies], _folder())
        errors["_form"] = exc.message
        return _render_apply(service, offices, regions, shown, errors, kept, outcome), _refused()  # type: ignore[return-value]
    except Exception:
        uploads.discard([s for _, s in [*new_files, *copies]], _folder())
        raise
    if form.save_to_wallet():
        _keep_in_wallet(case, list(kept.items()), licences, now)
    return redirect(url_for("citizen.receipt", tracking_number=case.tracking_number))


def _wallet_defaults(service: Service) -> dict[str, str]:
    """A new form's 我的材料 choices: the newest saved file of each material chosen, a
    remembered e-licence number filled in where no file is saved, and keeping ticked."""
    codes = [m.code for m in service.materials]
    offered = wallet.offers(current_user, codes)
    numbers = wallet.remembered_licences(current_user, codes)
    shown = {f"wallet_{code}": str(items[0].id) for code, items in offered.items()}
    for m in service.materials:
        if m.e_licence and m.code in numbers and m.code not in offered:
            shown[f"licence_{m.code}"] = numbers[m.code][0]
    return {**shown, "save_wallet": "y"}


def _wallet_gone(codes: set[str], errors: dict[str, str]) -> None:
    for code in codes:
        errors[f"material_{code}"] = _("您选择的已保存材料已被删除，请重新上传")


def _keep_in_wallet(
    case: Case, files: list[tuple[str, StoredFile]], licences: dict[str, str], now: Any
) -> None:
    """Keep the uploads and e-licence numbers of a filed case in 我的材料. The case is filed
    whatever happens here: a failure is logged, never shown as a failed application."""
    try:
        wallet.keep(
            user=current_user,
            case_id=case.id,
            files=files,
            licences=licences,
            folder=_folder(),
            now=now,
        )
    except Exception:
        logging.getLogger("tracker.errors").exception("could not keep materials of a case")


def _offices_for(
    service: Service,
    offices: dict[str, list[Office]],
    form: forms.ApplyForm,
    errors: dict[str, str],
) -> tuple[Office | None, Office | None]:
    competent = _pick_office(offices["competent"], form.competent.data)
    if competent is None:
        errors["competent"] = _("请选择办理地部门")
    if service.mode is HandlingMode.ACCEPT_HERE_DECIDE_THERE:
        receiving = _pick_office(offices["receiving"], form.receiving.data)
        if receiving is None:
            errors["receiving"] = _("请选择收件地部门")
    else:
        receiving = competent  # fully online and joint cases are received where they are decided
    return receiving, competent


def _render_apply(
    service: Service,
    offices: dict[str, list[Office]],
    regions: dict[str, Region],
    form: dict[str, Any],
    errors: dict[str, str],
    kept: dict[str, StoredFile],
    outcome: Outcome | None = None,
) -> str:
    home = current_user.home_region_code
    return render_template(
        "citizen/apply.html",
        service=service,
        fields=filing.applicable_fields(service, outcome),
        materials=filing.applicable_materials(service, outcome),
        outcome=outcome,
        precheck_answered=answered(service.precheck or [], outcome.answers) if outcome else [],
        suggested=precheck_hints(outcome),
        offices=offices,
        office_groups={
            side: filing.office_groups(listed, home, regions)[0] for side, listed in offices.items()
        },
        regions=regions,
        form=form,
        errors=errors,
        kept={code: (s, _kept_token(s)) for code, s in kept.items()},
        limits=UploadLimits(),
        saved=wallet.offers(current_user, [m.code for m in service.materials]),
        licence_offers=wallet.remembered_licences(
            current_user, [m.code for m in service.materials if m.e_licence]
        ),
    )


# ---- my cases ------------------------------------------------------------------------------


@bp.get("/cases")
def cases() -> str:
    page_no = forms.CasesPageForm(request.args).page.data or 1
    rows, total = queries.applicant_cases(current_user, page_no)
    today = local_date(wallclock.now())
    risk = current_app.config["AT_RISK_WORKING_DAYS"]
    applications = bundles.applications_of(current_user) if page_no == 1 else []
    return render_template(
        "citizen/cases.html",
        applications=applications,
        combined={a.id: bundles.combined(a) for a in applications},
        rows=[(c, queries.case_clock(c, today, risk)) for c in rows],
        total=total,
        page=page_no,
        per_page=20,
    )


@bp.get("/cases/<tracking_number>")
def case(tracking_number: str) -> str:
    c = _own_case(tracking_number)
    today = local_date(wallclock.now())
    rating = queries.rating_of(c)
    item = queries.rectification_of(c)
    replies = [h for h in (item.history if item else []) or [] if h.get("stage") == "reply"]
    return render_template(
        "citizen/case.html",
        rectification=item,
        office_reply=replies[-1].get("note") if replies else None,
        can_follow_up=bool(
            rating and item and replied(item.history) and rating.follow_up_score is None
        ),
        case=c,
        events=queries.timeline(c),
        clock=queries.case_clock(c, today, current_app.config["AT_RISK_WORKING_DAYS"]),
        supplement=queries.open_supplement(c),
        rating=rating,
        next_step=next_step(
            c.status,
            accepted=c.accepted_at is not None,
            rated=rating is not None,
            delivered=c.delivered_at is not None,
        ),
        can_retract=c.status
        in (CaseStatus.RECEIVED, CaseStatus.SUPPLEMENT_REQUESTED, CaseStatus.SUPPLEMENTED)
        and c.accepted_at is None,
        can_withdraw=not c.status.is_closed and c.accepted_at is not None,
        materials={m.code: m for m in c.form_materials},
        notices=notices.notices_of(c.id),
    )


@bp.get("/cases/<tracking_number>/notices/<int:notice_id>.pdf")
def notice(tracking_number: str, notice_id: int) -> Response:
    found = notices.notice_of_case(_own_case(tracking_number).id, notice_id)
    if found is None:
        abort(404)
    return send_notice(found, wallclock.now())


@bp.get("/cases/<tracking_number>/receipt")
def receipt(tracking_number: str) -> str:
    c = _own_case(tracking_number)
    return render_template(
        "citizen/receipt.html", case=c, materials={m.code: m for m in c.form_materials}
    )


@bp.get("/cases/<tracking_number>/files/<int:attachment_id>")
def download(tracking_number: str, attachment_id: int) -> Response:
    attachment = lookups.attachment_of(_own_case(tracking_number), attachment_id)
    if attachment is None:
        abort(404)
    return send_attachment(attachment, _folder())


@bp.route("/cases/<tracking_number>/supplement", methods=["GET", "POST"])
def supplement(tracking_number: str) -> str | Response:
    c = _own_case(tracking_number)
    pause = queries.open_supplement(c)
    if c.status is not CaseStatus.SUPPLEMENT_REQUESTED or pause is None:
        flash(_("该办件当前不需要补正材料"), "info")
        return redirect(url_for("citizen.case", tracking_number=c.tracking_number))
    items = pause.items or []
    materials = {m.code: m for m in c.form_materials}
    errors: dict[str, str] = {}
    form = forms.supplement_form(list(materials))
    if form.is_submitted():
        new_files = _store_uploads(form, errors)
        licences = form.licences()
        asked = {i.get("material") for i in items if i.get("material") in materials}
        missing = [
            loc(materials[m], "name")
            for m in asked
            if m not in {code for code, _ in new_files} and m not in licences
        ]
        note = form.note.data or ""
        if missing and not errors:
            errors["_form"] = _("请补正：%(items)s", items=_("、").join(missing))
        if not new_files and not licences and not note and not errors:
            errors["_form"] = _("请上传补正材料或填写说明")
        if not errors:
            try:
                case_ops.act(
                    c.id,
                    Action.SUBMIT_SUPPLEMENT,
                    current_user,
                    wallclock.now(),
                    expected_version=form.version.data,
                    reason=note,
                    files=new_files,
                    licences=licences,
                    ip=_client_ip(),
                )
            except DomainError as exc:
                uploads.discard([s for _, s in new_files], _folder())
                errors["_form"] = exc.message
            else:
                flash(_("补正材料已提交，办理时限恢复计算"), "success")
                return redirect(url_for("citizen.case", tracking_number=c.tracking_number))
        else:
            uploads.discard([s for _, s in new_files], _folder())
    return render_template(
        "citizen/supplement.html",
        case=c,
        pause=pause,
        items=items,
        materials=materials,
        errors=errors,
        form=request.form,
    ), (_refused() if errors else 200)


@bp.post("/cases/<tracking_number>/withdraw")
def withdraw(tracking_number: str) -> Response:
    c = _own_case(tracking_number)
    action = Action.RETRACT if c.accepted_at is None else Action.WITHDRAW
    form = forms.WithdrawForm()
    try:
        case_ops.act(
            c.id,
            action,
            current_user,
            wallclock.now(),
            expected_version=form.version.data,
            reason=form.reason.data or "",
            ip=_client_ip(),
        )
    except DomainError as exc:
        flash(say(exc.message), "error")
    else:
        flash(_("已撤件") if action is Action.RETRACT else _("已撤回申请"), "success")
    return redirect(url_for("citizen.case", tracking_number=c.tracking_number))


@bp.post("/cases/<tracking_number>/rate")
def rate(tracking_number: str) -> Response:
    c = _own_case(tracking_number)
    form = forms.RateForm()
    try:
        case_ops.rate(
            c.id, current_user, form.score.data or 0, form.comment.data or "", wallclock.now()
        )
    except DomainError as exc:
        flash(say(exc.message), "error")
    else:
        flash(_("感谢您的评价"), "success")
    return redirect(url_for("citizen.case", tracking_number=c.tracking_number))


@bp.post("/cases/<tracking_number>/follow-up")
def follow_up(tracking_number: str) -> Response:
    """追评: after the office replied to a bad rating."""
    c = _own_case(tracking_number)
    form = forms.RateForm()
    try:
        case_ops.follow_up_rating(
            c.id, current_user, form.score.data or 0, form.comment.data or "", wallclock.now()
        )
    except DomainError as exc:
        flash(say(exc.message), "error")
    else:
        flash(_("感谢您的追加评价"), "success")
    return redirect(url_for("citizen.case", tracking_number=c.tracking_number))


# ---- my materials (我的材料) -----------------------------------------------------------------


def _own_item(item_id: int) -> Any:
    item = wallet.item_of(current_user, item_id)
    if item is None:
        abort(404)  # another person's item looks like no item; the refusal is audited
    return item


@bp.get("/materials")
def materials() -> str:
    items = wallet.items_of(current_user)
    return render_template(
        "citizen/materials.html",
        items=items,
        kinds=wallet.kinds([i.material_code for i in items]),
        cases=wallet.case_numbers(current_user, {i.first_case_id for i in items}),
        limit=wallet.MAX_ITEMS,
    )


@bp.get("/materials/<int:material_id>/file")
def material_file(material_id: int) -> Response:
    item = _own_item(material_id)
    if item.stored_name is None:
        abort(404)
    return send_attachment(item, _folder())


@bp.route("/materials/<int:material_id>/delete", methods=["GET", "POST"])
def delete_material(material_id: int) -> str | Response:
    item = _own_item(material_id)
    form = forms.WalletDeleteForm()
    if form.is_submitted():
        form.validate()
        wallet.delete(current_user, item.id, _folder(), wallclock.now(), _client_ip())
        flash(_("已删除该材料"), "success")
        return redirect(url_for("citizen.materials"))
    return render_template(
        "citizen/material_delete.html",
        item=item,
        kind=wallet.kinds([item.material_code]).get(item.material_code),
    )


# ---- notifications -------------------------------------------------------------------------


@bp.get("/notifications")
def notifications() -> str:
    return render_template(
        "citizen/notifications.html",
        items=queries.notifications(current_user),
        total=queries.notification_count(current_user),
    )


@bp.post("/notifications/read")
def notifications_read() -> Response:
    case_ops.mark_notifications_read(current_user, wallclock.now())
    return redirect(url_for("citizen.notifications"))
