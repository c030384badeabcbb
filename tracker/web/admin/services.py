"""The services section (/admin/services): the list, a service's page with its draft editor,
the live preview of the citizen's form, publish, discard, retire and reinstate. The rules are
in :mod:`tracker.services.service_versions`; here the form is read into a document and back.

The editor's rows (materials, form fields, cooperating offices) are numbered inputs
(``m-0-code``, ``f-2-choices`` …): each row has an order number and a remove box, and one
empty row is offered for adding. Blank rows are ignored; errors come back keyed by the row's
place in the saved order, and the page is drawn from the same document, so each error stands
beside its row and everything typed is kept.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from ...domain.errors import DomainError
from ...domain.service_spec import FIELD_TYPES, canonical, form_fields, form_materials
from ...domain.states import HandlingMode
from ...domain.text import N_
from ...services import admin_changes, lookups
from ...services import service_versions as sv
from .. import say, wallclock
from .views import bp, section

section(
    "admin.services",
    N_("服务事项"),
    N_(
        "事项的名称、时限、收费、办理部门、材料和表单；草稿、发布新版本、废止。已受理的办件保持原版本。"
    ),
    order=30,
)

MATERIAL_KEYS = ("code", "name_zh", "name_en", "note_zh", "note_en")
FIELD_KEYS = (
    "name",
    "label_zh",
    "label_en",
    "type",
    "max_length",
    "min",
    "max",
    "help_zh",
    "help_en",
    "department",  # office fields
    "region_field",  # office fields
)
COOP_KEYS = ("department", "role_zh", "role_en", "task_zh", "task_en", "limit_days")
SCALARS = (
    "code",
    "name_zh",
    "name_en",
    "department",
    "mode",
    "statutory_days",
    "promised_days",
    "fee_zh",
    "fee_en",
    "summary_zh",
    "summary_en",
    "legal_basis_zh",
    "legal_basis_en",
    "result_zh",
    "result_en",
)
MAX_ROWS = 60


def _ip() -> str | None:
    return request.remote_addr


def _rows(form: MultiDict[str, str], prefix: str, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """The numbered rows of one list, in their order number, without removed or blank rows."""
    found = []
    for i in range(MAX_ROWS):
        p = f"{prefix}-{i}-"
        if not any(k.startswith(p) for k in form):
            continue
        row: dict[str, Any] = {k: form.get(p + k, "") for k in keys}
        row["required"] = bool(form.get(p + "required"))
        row["e_licence"] = bool(form.get(p + "e_licence"))
        row["choices_text"] = form.get(p + "choices", "")
        if form.get(p + "remove") or not any(str(row[k]).strip() for k in keys if k != "type"):
            continue
        order = form.get(p + "order", "").strip()
        found.append((int(order) if order.isdigit() else 10_000 + i, i, row))
    return [row for _, _, row in sorted(found, key=lambda t: (t[0], t[1]))]


def _choices(text: str) -> list[dict[str, str]]:
    """``value|中文|English`` per line."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")] + ["", ""]
        out.append({"value": parts[0], "label_zh": parts[1], "label_en": parts[2]})
    return out


def document_from(
    form: MultiDict[str, str], code: str | None, precheck: Any = None
) -> dict[str, Any]:
    """The document the editor's form describes (``code`` fixed for a published service).
    ``precheck``: the questions kept when the form does not carry its pre-check box."""
    doc: dict[str, Any] = {k: form.get(k, "") for k in SCALARS}
    doc["precheck"] = form.get("precheck", precheck)
    if code is not None:
        doc["code"] = code
    doc["limits_confirmed"] = bool(form.get("limits_confirmed"))
    fields = []
    for row in _rows(form, "f", FIELD_KEYS):
        f = {k: row[k] for k in FIELD_KEYS}
        f["required"] = row["required"]
        f["choices"] = _choices(row["choices_text"])
        fields.append(f)
    doc["form_fields"] = fields
    doc["materials"] = [
        {**{k: r[k] for k in MATERIAL_KEYS}, "required": r["required"], "e_licence": r["e_licence"]}
        for r in _rows(form, "m", MATERIAL_KEYS)
    ]
    doc["offices"] = {
        "receiving": form.get("receiving", "any"),
        "competent_department": form.get("competent_department", ""),
        "cooperating": [{k: r[k] for k in COOP_KEYS} for r in _rows(form, "c", COOP_KEYS)],
    }
    return canonical(doc)


def _choices_text(f: Mapping[str, Any]) -> str:
    return "\n".join(
        "|".join((c["value"], c["label_zh"], c["label_en"])) for c in f.get("choices") or []
    )


def _precheck_text(questions: Any) -> str:
    """The pre-check questions as the editor's JSON box shows them."""
    if isinstance(questions, str):
        return questions
    return json.dumps(questions or [], ensure_ascii=False, indent=2) if questions else ""


def _render_editor(
    doc: dict[str, Any],
    *,
    errors: Mapping[str, Any] | None = None,
    new: bool = False,
    status: int = 200,
) -> tuple[str, int]:
    code = doc["code"]
    service = None if new else sv.service(code)
    draft = None if new else sv.draft(code)
    html = render_template(
        "admin/service.html",
        doc=doc,
        new=new,
        service=service,
        draft=draft,
        status=sv.status_of(service),
        errors=dict(errors or {}),
        departments=sv.departments(),
        modes=list(HandlingMode),
        field_types=FIELD_TYPES,
        choices_text=_choices_text,
        precheck_text=_precheck_text,
        preview_fields=form_fields(doc),
        preview_materials=form_materials(doc),
        regions=lookups.regions(),
        versions=sv.versions(service) if service is not None else [],
        case_counts=sv.cases_by_version(service) if service is not None else {},
        changes=admin_changes.history(sv.KIND, code) if not new else [],
    )
    return html, status


def _problems(doc: dict[str, Any]) -> dict[str, Any]:
    """What saving would refuse, shown beside the fields of a preview too (nothing is saved)."""
    try:
        sv.check(doc)
    except sv.DraftRefused as exc:
        return exc.errors
    return {}


@bp.get("/services")
def services() -> str:
    args = {k: request.args.get(k, "").strip()[:64] for k in ("q", "department", "mode", "status")}
    return render_template(
        "admin/services.html",
        rows=sv.listing(**args),
        args=args,
        departments=sv.departments(),
        modes=list(HandlingMode),
        statuses=sv.STATUSES,
    )


@bp.route("/services/new", methods=["GET", "POST"])
def services_new() -> tuple[str, int] | Response:
    if request.method == "GET":
        return _render_editor(sv.blank(request.args.get("department", "")), new=True)
    doc = document_from(request.form, None)
    if request.form.get("action") == "preview":
        return _render_editor(doc, errors=_problems(doc), new=True)
    try:
        sv.save_draft(actor=current_user, at=wallclock.now(), doc=doc, new=True, ip=_ip())
    except sv.DraftRefused as exc:
        return _render_editor(doc, errors=exc.errors, new=True, status=422)
    flash(_("草稿已保存。发布后新申请才会使用。"), "success")
    return redirect(url_for("admin.services_edit", code=doc["code"]))


@bp.route("/services/<code>", methods=["GET", "POST"])
def services_edit(code: str) -> tuple[str, int] | Response:
    doc = sv.working_document(code)
    if doc is None:
        abort(404)
    if request.method == "GET":
        return _render_editor(doc)
    typed = document_from(request.form, code, doc.get("precheck"))
    if request.form.get("action") == "preview":
        return _render_editor(typed, errors=_problems(typed))
    try:
        sv.save_draft(actor=current_user, at=wallclock.now(), doc=typed, ip=_ip())
    except sv.DraftRefused as exc:
        return _render_editor(typed, errors=exc.errors, status=422)
    flash(_("草稿已保存。发布后新申请才会使用。"), "success")
    return redirect(url_for("admin.services_edit", code=code))


def _act(code: str, done: str) -> Response:
    """Run the publish/discard/retire/reinstate the form asked for; say what happened."""
    actions = {
        "publish": sv.publish,
        "discard": sv.discard_draft,
        "retire": sv.retire,
        "reinstate": sv.reinstate,
    }
    try:
        actions[done](actor=current_user, at=wallclock.now(), code=code, ip=_ip())
    except sv.DraftRefused:
        flash(_("草稿有错误，请修改后再发布"), "error")
    except DomainError as exc:
        flash(say(exc.message), "error")
    else:
        flash(
            {
                "publish": _("已发布新版本：新申请使用新版本，已提交的办件保持原版本。"),
                "discard": _("草稿已放弃。"),
                "retire": _("事项已废止：不再接受新申请，已提交的办件继续办理。"),
                "reinstate": _("事项已恢复受理。"),
            }[done],
            "success",
        )
    if sv.working_document(code) is None:
        return redirect(url_for("admin.services"))
    return redirect(url_for("admin.services_edit", code=code))


@bp.post("/services/<code>/publish")
def services_publish(code: str) -> Response:
    return _act(code, "publish")


@bp.post("/services/<code>/discard")
def services_discard(code: str) -> Response:
    return _act(code, "discard")


@bp.post("/services/<code>/retire")
def services_retire(code: str) -> Response:
    return _act(code, "retire")


@bp.post("/services/<code>/reinstate")
def services_reinstate(code: str) -> Response:
    return _act(code, "reinstate")
