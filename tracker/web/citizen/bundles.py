"""一件事一次办 for the applicant: the combined form, the bundle page, withdrawing a bundle.

The combined form comes in two steps, like a single service's: first (a GET form) the region
where the citizen files and the pre-check questions of every service that has them; then the
form: the fields several services ask the same way once, each service's own fields under its
heading (drawn by the same field renderer as a single form, named ``<service>.<field>``),
and the materials once each. The filing service checks every service before writing any case.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ...domain import bundles as rules
from ...domain.errors import DomainError
from ...domain.precheck import Outcome, preset
from ...domain.states import HandlingMode
from ...models import Bundle, Office
from ...services import bundles, filing, lookups, queries, uploads
from ...services.uploads import StoredFile, UploadLimits
from .. import loc, say, wallclock
from ..fields import errors_of
from . import forms
from .views import _client_ip, _folder, _kept_token, _read_kept, _refused, _store_uploads, bp

REGION = "region"


def _bundle(code: str) -> Bundle:
    found = bundles.bundle_by_code(code)
    if found is None:
        abort(404)
    return found


def _read_step(
    bundle: Bundle, source: Any
) -> tuple[str, dict[str, Outcome | None], dict[str, dict[str, str]], dict[str, str]]:
    """(region, each service's outcome, each service's raw answers, errors) from ``source``."""
    region = (source.get(REGION) or "").strip()
    errors: dict[str, str] = dict(bundles.unavailable(bundle, region))
    outcomes: dict[str, Outcome | None] = {}
    given: dict[str, dict[str, str]] = {}
    for service in bundle.services:
        prefix = rules.precheck_prefix(service.code)
        raw = {k: v for k, v in source.items() if k.startswith(prefix)}
        given[service.code] = {k.removeprefix(prefix): v for k, v in raw.items()}
        if not service.precheck:
            outcomes[service.code] = None
            continue
        outcome, found = filing.read_precheck(service, raw, prefix=prefix)
        outcomes[service.code] = outcome
        for code, message in found.items():
            errors[f"{prefix}{code}"] = message
    return region, outcomes, given, errors


def _step_page(
    bundle: Bundle, values: dict[str, str], errors: dict[str, str], status: int
) -> Response:
    return make_response(
        render_template(
            "citizen/bundle_precheck.html",
            bundle=bundle,
            values=values,
            errors=errors,
            regions=lookups.regions(),
            prefix=rules.precheck_prefix,
        ),
        status,
    )


@bp.route("/bundles/<code>/apply", methods=["GET", "POST"])
def bundle_apply(code: str) -> str | Response:
    bundle = _bundle(code)
    source = request.form if request.method == "POST" else request.args
    if request.method == "GET" and (REGION not in request.args or "edit" in request.args):
        values = {k: v for k, v in request.args.items() if k != "edit"}
        values.setdefault(REGION, current_user.home_region_code or "")
        return _step_page(bundle, values, {}, 200)
    region, outcomes, given, step_errors = _read_step(bundle, source)
    if request.method == "POST" and "region" not in step_errors:
        # A service that stopped being offered in the region since the form was drawn: the
        # filing refuses it below, and the form comes back with everything typed.
        step_errors = {k: v for k, v in step_errors.items() if rules.PRECHECK in k}
    if step_errors:
        # Said before the form: a service not offered in the region, an answer missing or
        # one that stops here; nothing is written.
        return _step_page(bundle, source.to_dict(), step_errors, 422)
    materials = bundles.materials_of(bundle, outcomes)
    form = forms.apply_form([m.code for m in materials])
    if not form.is_submitted():
        shown: dict[str, Any] = {"token": uuid.uuid4().hex, REGION: region}
        shared = bundles.shared_fields(bundle)
        for service in bundle.services:
            for name, value in {
                **filing.prefill(service, current_user),
                **(preset(outcomes[service.code]) if outcomes[service.code] else {}),
            }.items():
                shown[rules.form_name(service.code, name, shared)] = value
        return _render(bundle, region, outcomes, given, shown, {}, {})

    shown = request.form.to_dict()
    errors: dict[str, str] = {}
    kept = {
        c: stored
        for c, token in form.kept_tokens().items()
        if (stored := _read_kept(token)) is not None
    }
    new_files = _store_uploads(form, errors)
    kept.update(dict(new_files))
    form.validate()
    errors.update({k: v for k, v in errors_of(form).items() if k in ("declaration", "token")})
    if errors:
        return _render(bundle, region, outcomes, given, shown, errors, kept), _refused()  # type: ignore[return-value]
    try:
        application = bundles.file_bundle(
            applicant=current_user,
            filed=_filing(bundle, region, given),
            now=wallclock.now(),
            folder=_folder(),
            files=list(kept.items()),
            idempotency_key=form.idempotency_key(),
            ip=_client_ip(),
        )
    except bundles.BundleRefused as refused:
        errors.update(_form_errors(bundle, refused.errors))
        return _render(bundle, region, outcomes, given, shown, errors, kept), _refused()  # type: ignore[return-value]
    except DomainError as exc:
        errors["_form"] = exc.message
        return _render(bundle, region, outcomes, given, shown, errors, kept), _refused()  # type: ignore[return-value]
    except Exception:
        uploads.discard([s for _, s in new_files], _folder())
        raise
    flash(_("已提交，共生成 %(n)s 个办件。", n=len(application.cases)), "success")
    return redirect(url_for("citizen.bundle_application", number=application.number))


def _filing(bundle: Bundle, region: str, given: dict[str, dict[str, str]]) -> bundles.BundleFiling:
    shared = bundles.shared_fields(bundle)
    parts: dict[str, filing.Application] = {}
    for service in bundle.services:
        parts[service.code] = filing.Application(
            service.code,
            (request.form.get(f"{service.code}.competent") or "").strip(),
            answers=rules.answers_of(
                service.code, [f.name for f in service.fields], shared, request.form
            ),
            precheck=given[service.code] if service.precheck else None,
        )
    licences = {
        k.removeprefix("licence_"): v.strip()
        for k, v in request.form.items()
        if k.startswith("licence_") and v.strip()
    }
    return bundles.BundleFiling(bundle.code, region, parts, licences)


def _form_errors(bundle: Bundle, found: dict[str, str]) -> dict[str, str]:
    """The filing service's error keys as the names of the combined form."""
    shared = bundles.shared_fields(bundle)
    named: dict[str, str] = {}
    for key, message in found.items():
        service_code, _sep, rest = key.partition("/")
        if key.startswith("materials."):
            named[f"material_{key.removeprefix('materials.')}"] = message
        elif not rest:
            named[key] = message  # region, bundle, or a service not offered in the region
        elif rest.startswith("fields."):
            named.setdefault(
                rules.form_name(service_code, rest.removeprefix("fields."), shared), message
            )
        elif rest in ("competent_office", "receiving_office"):
            named[f"{service_code}.competent"] = message
        else:
            named[f"{service_code}.{rest}"] = message
    return named


def _render(
    bundle: Bundle,
    region: str,
    outcomes: dict[str, Outcome | None],
    given: dict[str, dict[str, str]],
    form: dict[str, Any],
    errors: dict[str, str],
    kept: dict[str, StoredFile],
) -> str:
    once, own = bundles.fields_of(bundle, outcomes)
    regions = lookups.regions()
    home = current_user.home_region_code
    choices: dict[str, list[tuple[str, list[Office]]]] = {}
    here = bundles.region_offices(bundle, region)
    for s in bundle.services:
        if bundles.chooses_competent(s):
            listed = queries.offices_of(s.competent_department_code)
            choices[s.code] = filing.office_groups(listed, home, regions)[0]
    return render_template(
        "citizen/bundle_apply.html",
        bundle=bundle,
        region=regions.get(region),
        here=here,
        choices=choices,
        joint=HandlingMode.JOINT,
        outcomes=outcomes,
        given=given,
        once=once,
        own=own,
        materials=bundles.materials_of(bundle, outcomes),
        regions=regions,
        form=form,
        errors=errors,
        kept={code: (s, _kept_token(s)) for code, s in kept.items()},
        limits=UploadLimits(),
        prefix=rules.precheck_prefix,
    )


# ---- the bundle page -----------------------------------------------------------------------


def _own_application(number: str) -> Any:
    found = bundles.application_of(current_user, number.strip().upper())
    if found is None:
        abort(404)
    return found


@bp.get("/applications/<number>")
def bundle_application(number: str) -> str:
    application = _own_application(number)
    return render_template(
        "citizen/bundle_application.html",
        application=application,
        combined=bundles.combined(application),
        withdrawable=[c for c in application.cases if rules.why_not_withdrawn(c.status) is None],
    )


@bp.post("/applications/<number>/withdraw")
def bundle_withdraw(number: str) -> Response:
    application = _own_application(number)
    form = forms.WithdrawForm()
    try:
        results = bundles.withdraw_bundle(
            applicant=current_user,
            application=application,
            reason=form.reason.data or "",
            now=wallclock.now(),
            ip=_client_ip(),
        )
    except DomainError as exc:
        flash(say(exc.message), "error")
        return redirect(url_for("citizen.bundle_application", number=application.number))
    done = [r for r in results if r.withdrawn]
    if done:
        flash(
            _("已撤回：%(numbers)s", numbers=_("、").join(r.case.tracking_number for r in done)),
            "success",
        )
    for r in results:
        if not r.withdrawn:
            flash(
                _(
                    "%(number)s（%(service)s）未撤回：%(reason)s",
                    number=r.case.tracking_number,
                    service=loc(r.case.service, "name"),
                    reason=say(r.reason or ""),
                ),
                "error",
            )
    return redirect(url_for("citizen.bundle_application", number=application.number))
