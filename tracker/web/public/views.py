"""Pages anyone may see: the catalogue, one service, health checks."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask_babel import gettext as _

from ...domain import precheck
from ...domain.errors import DomainError
from ...domain.identifiers import normalize_tracking_number, parse_tracking_number
from ...domain.text import N_, Text
from ...extensions import limiter
from ...services import bundles, lookups, notice_keys, notice_pdf, notices, queries, search
from .. import wallclock
from ..fields import errors_of
from ..notice_files import key_settings, verify_base
from .forms import SearchForm, TrackForm, VerifyForm

bp = Blueprint("public", __name__)


@bp.get("/")
def home() -> str:
    return render_template(
        "public/home.html", groups=queries.catalogue(), q="", **queries.catalogue_counts()
    )


@bp.get("/services")
def services() -> str:
    q = (SearchForm(request.args).q.data or "").strip()
    if q:
        results = search.search(q)
        return render_template(
            "public/services.html",
            groups=[],
            results=results,
            q=q,
            total=len(results),
            **queries.catalogue_counts(),
        )
    groups = queries.catalogue()
    return render_template(
        "public/services.html",
        groups=groups,
        results=[],
        q=q,
        total=sum(len(s) for _, s in groups),
        **queries.catalogue_counts(),
    )


@bp.get("/services/<code>")
def service(code: str) -> str:
    svc = queries.service_by_code(code)
    if svc is None:
        abort(404)
    departments = lookups.departments()
    roles: list[dict[str, Any]] = []
    competent = departments[svc.competent_department_code]
    if svc.receiving == "any" and svc.mode.value != "fully_online":
        roles.append(
            {
                "label_zh": "收件地（受理申请）",
                "label_en": "Receiving office",
                "department": departments[svc.department_code],
                "task_zh": "核验身份、审查材料形式，受理或转办",
                "task_en": "Checks identity and the form of the materials, then "
                "accepts or forwards",
                "limit_days": None,
                "provinces": queries.offices_by_province(svc.department_code),
            }
        )
    roles.append(
        {
            "label_zh": "办理地（作出决定）",
            "label_en": "Competent office",
            "department": competent,
            "task_zh": "审核并作出决定",
            "task_en": "Reviews the application and decides",
            "limit_days": svc.promised_days,
            "provinces": queries.offices_by_province(competent.code),
        }
    )
    for coop in svc.cooperations:
        roles.append(
            {
                "label_zh": coop.role_zh,
                "label_en": coop.role_en,
                "department": departments[coop.department_code],
                "task_zh": coop.task_zh,
                "task_en": coop.task_en,
                "limit_days": coop.limit_days,
                "provinces": queries.offices_by_province(coop.department_code),
            }
        )
    return render_template(
        "public/service.html",
        service=svc,
        department=departments[svc.department_code],
        roles=roles,
        conditions=_conditions(svc),
    )


@bp.get("/bundles")
def bundle_list() -> str:
    return render_template("public/bundles.html", bundles=bundles.listed())


@bp.get("/bundles/<code>")
def bundle(code: str) -> str:
    found = bundles.bundle_by_code(code)
    if found is None:
        abort(404)
    return render_template(
        "public/bundle.html",
        bundle=found,
        materials=bundles.materials_of(found),
        conditions=_bundle_conditions(found.services),
    )


def _bundle_conditions(services: list[Any]) -> dict[str, list[Text]]:
    """Each material's pre-check conditions, from every service of the bundle that has it."""
    merged: dict[str, list[Text]] = {}
    for svc in services:
        for code, whens in _conditions(svc).items():
            merged.setdefault(code, []).extend(whens)
    return merged


def _conditions(svc: Any) -> dict[str, list[Text]]:
    """For each material or field the guided pre-check decides: when it is asked for."""
    return {
        name: [
            N_("“%(question)s”回答“%(answer)s”时须提交", question=q, answer=a)
            if required
            else N_("“%(question)s”回答“%(answer)s”时可提交", question=q, answer=a)
            for q, a, required in found
        ]
        for name, found in precheck.conditions(svc.precheck or []).items()
    }


@bp.get("/healthz")
def healthz() -> Any:
    """Liveness: the process answers; no database involved."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Any:
    """Readiness: the database answers."""
    if not lookups.database_ready():
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.route("/track", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["TRACK_RATE_LIMIT"], methods=["POST"])
def track() -> str | tuple[str, int]:
    """Anyone: tracking number + last four digits of the phone → status, custody, timeline.

    No names, no ID numbers, no documents, no reasons. A wrong check character is named; a
    number that exists with other phone digits answers exactly like one that does not.
    """
    form = TrackForm()
    shown = {"number": form.number.data or "", "last4": form.last4.data or ""}
    errors: dict[str, str] = {}
    case = None
    if form.is_submitted():
        form.validate()
        errors = errors_of(form)
        try:
            number = parse_tracking_number(shown["number"])
        except DomainError as exc:
            errors["number"] = exc.message
            number = normalize_tracking_number(shown["number"])
        if not errors:
            case = queries.tracked_case(number, shown["last4"])
            if case is None:
                errors["_form"] = _("未找到办件：请核对办件编号和手机号后四位")
        if errors:
            return render_template("public/track.html", form=shown, errors=errors, case=None), 422
    return render_template(
        "public/track.html",
        form=shown,
        errors=errors,
        case=case,
        events=queries.timeline(case) if case else [],
    )


VERIFY_FILE_MAX = 10 * 1024 * 1024


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["VERIFY_RATE_LIMIT"])
def verify() -> tuple[str, int]:
    """Anyone: a notice's verification code → genuine or not, its kind, office, date, number and
    SHA-256 digest; optionally the PDF itself, compared with the kept one and its signature
    checked. Never a name or any other personal data. An unknown code and a malformed one get
    the same answer."""
    form = VerifyForm()
    code = (form.code.data if form.is_submitted() else request.args.get("code", "")) or ""
    code = code.strip()[:64]
    errors: dict[str, str] = {}
    found = None
    upload: dict[str, Any] | None = None
    if code:
        try:
            found = notices.verify(code, key_settings(), verify_base(), wallclock.now())
        except (notice_keys.NoKey, notice_pdf.FontMissing):
            abort(503)  # the document cannot be drawn to show its digest (docs/notices.md)
        if found is None:
            errors["_form"] = _(
                "无法核验：没有与该验证码对应的文书。请核对验证码；文书可能是伪造的。"
            )
    elif form.is_submitted():
        errors["code"] = _("请输入文书上的验证码")
    if found is not None and form.is_submitted():
        file = request.files.get("document")
        if file is not None and file.filename:
            data = file.stream.read(VERIFY_FILE_MAX + 1)
            if len(data) > VERIFY_FILE_MAX:
                errors["document"] = _("文件过大（不超过10MB）")
            else:
                check = notices.signature_check(data, key_settings())
                digest = notices.digest_of(data)
                upload = {
                    "digest": digest,
                    "same": digest == found.digest,
                    "signature_ok": check.ok,
                    "signed": check.signed,
                }
    status = 404 if code and found is None else 422 if errors else 200
    return (
        render_template("public/verify.html", code=code, found=found, upload=upload, errors=errors),
        status,
    )
