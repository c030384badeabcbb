"""Filing an application from outside the portal's form (the JSON API, Open311, a counter
system): the same checks as the citizen's apply page — the service's form fields, its
materials, the offices the service's mode allows — then ``cases.submit_case``.

Errors are collected per field, as the apply page shows them, and raised together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..domain import precheck
from ..domain.errors import DomainError
from ..domain.forms import (
    FieldSpec,
    MaterialSpec,
    OfficeChoice,
    material_problems,
    validate_answers,
)
from ..domain.office_order import grouped_offices, likely_office, region_chain
from ..domain.states import HandlingMode
from ..domain.text import N_, Named, Text
from ..extensions import db
from ..models import Case, Office, Region, Service, User
from . import cases, lookups
from .calendar import local_date
from .queries import service_by_code
from .uploads import StoredFile


class FilingRefused(DomainError):
    """The application cannot be filed as sent. ``errors``: {field: Chinese message}; fields
    are ``service``, ``competent_office``, ``receiving_office``, ``fields.<name>`` and
    ``materials.<code>``."""

    code = "filing_refused"

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("申请内容有误，请按提示修改", code=self.code)
        self.errors = dict(errors)


@dataclass(frozen=True)
class Application:
    """What an outside system sends to file a case."""

    service_code: str
    competent_office: str
    receiving_office: str | None = None  # only for 异地代收代办; others are received where decided
    answers: Mapping[str, str] = field(default_factory=dict)
    licences: Mapping[str, str] = field(default_factory=dict)
    # The guided pre-check's answers {question code: value}; None: not answered (every
    # material and field of the service applies, as without a pre-check).
    precheck: Mapping[str, Any] | None = None


def _applicable(rows: Sequence[Any], key: str, outcome: precheck.Outcome | None) -> list[Any]:
    if outcome is None:
        return list(rows)
    return [
        _Required(r) if getattr(r, key) in outcome.required and not r.required else r
        for r in rows
        if outcome.applies(getattr(r, key))
    ]


class _Required:
    """A field or material the pre-check's answers make required."""

    required = True

    def __init__(self, row: Any) -> None:
        self._row = row

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, name)


def applicable_fields(service: Service, outcome: precheck.Outcome | None = None) -> list[Any]:
    """The service's form fields that apply with these pre-check answers (all without)."""
    return _applicable(service.fields, "name", outcome)


def applicable_materials(service: Service, outcome: precheck.Outcome | None = None) -> list[Any]:
    """The service's materials that apply with these pre-check answers (all without)."""
    return _applicable(service.materials, "code", outcome)


def office_choices() -> dict[str, OfficeChoice]:
    """Every active office by code, with the regions it is in (for ``office`` fields)."""
    parents = {code: r.parent_code for code, r in lookups.regions().items()}
    below: dict[str, set[str]] = {}
    for code in parents:
        for above in region_chain(code, parents):
            below.setdefault(above, set()).add(code)
    return {
        code: OfficeChoice(
            code,
            department,
            frozenset([*region_chain(region, parents), *below.get(region, ())]),
        )
        for code, department, region in db.session.execute(
            sa.select(Office.code, Office.department_code, Office.region_code).where(Office.active)
        )
    }


def field_specs(service: Service, outcome: precheck.Outcome | None = None) -> list[FieldSpec]:
    fields = applicable_fields(service, outcome)
    offices = office_choices() if any(f.type == "office" for f in fields) else {}
    return [
        FieldSpec(
            f.name,
            Named(f.label_zh, f.label_en),
            f.type,
            f.required,
            f.max_length,
            f.min_value,
            f.max_value,
            tuple(c["value"] for c in (f.choices or ())),
            department=f.department_code,
            region_field=f.region_field,
            offices=offices if f.type == "office" else {},
        )
        for f in fields
    ]


def material_specs(service: Service, outcome: precheck.Outcome | None = None) -> list[MaterialSpec]:
    return [
        MaterialSpec(m.code, Named(m.name_zh, m.name_en), m.required, m.e_licence)
        for m in applicable_materials(service, outcome)
    ]


def read_precheck(
    service: Service, raw: Mapping[str, Any] | None, *, prefix: str = ""
) -> tuple[precheck.Outcome | None, dict[str, Text]]:
    """The outcome of the answers in ``raw`` (keys ``<prefix><question code>``), or errors
    keyed by question code. A stopping answer is an error saying what to do instead.
    ``raw`` None: not answered (no outcome, no error)."""
    questions = service.precheck or []
    if raw is None:
        return None, {}
    if not questions:
        if any(k.startswith(prefix) for k in raw):
            return None, {"precheck": N_("该事项没有情形引导问题")}
        return None, {}
    answers, errors = precheck.read_answers(questions, raw, prefix=prefix)
    if errors:
        return None, errors
    outcome = precheck.decide(questions, answers)
    for hint in outcome.hints:
        if hint.stop:
            errors[hint.question] = N_(
                "按您的回答，不能申请该事项：%(hint)s", hint=Named(hint.text_zh, hint.text_en)
            )
    return outcome, errors


def contradictions(
    service: Service, outcome: precheck.Outcome | None, clean: Mapping[str, Any], now: datetime
) -> dict[str, Text]:
    """Form answers that contradict the pre-check, keyed by field name."""
    if outcome is None:
        return {}
    labels = {f.name: Named(f.label_zh, f.label_en) for f in service.fields}
    found = precheck.contradictions(outcome, clean, labels, local_date(now))
    return {key.removeprefix("fields."): message for key, message in found.items()}


def _office(code: str | None, department_code: str) -> Office | None:
    if not code:
        return None
    return db.session.scalars(
        sa.select(Office).where(
            Office.code == code, Office.department_code == department_code, Office.active
        )
    ).one_or_none()


def offices_for(
    service: Service, competent_code: str, receiving_code: str | None, errors: dict[str, str]
) -> tuple[Office | None, Office | None]:
    """(receiving, competent) as the service's mode allows, or errors beside the codes."""
    competent = _office(competent_code, service.competent_department_code)
    if competent is None:
        errors["competent_office"] = "办理地部门不存在或不办理该事项"
    if service.mode is not HandlingMode.ACCEPT_HERE_DECIDE_THERE:
        if receiving_code and competent is not None and receiving_code != competent.code:
            errors["receiving_office"] = "该事项在办理地部门收件，收件部门须与办理地部门相同"
        return competent, competent
    receiving = _office(receiving_code, service.department_code)
    if receiving is None:
        errors["receiving_office"] = "收件地部门不存在或不收取该事项"
    return receiving, competent


@dataclass(frozen=True)
class Checked:
    """An application that passed every check: what ``cases.submit_case`` needs."""

    service: Service
    receiving: Office
    competent: Office
    clean: dict[str, Any]
    outcome: precheck.Outcome | None
    licences: dict[str, str]

    @property
    def answers(self) -> dict[str, str] | None:
        return dict(self.outcome.answers) if self.outcome is not None else None

    @property
    def situation_code(self) -> str | None:
        return self.outcome.situation_code if self.outcome is not None else None


def check_application(
    application: Application, material_codes: set[str], now: datetime
) -> tuple[Checked | None, dict[str, str]]:
    """Every check of filing, nothing written: (the checked application, {}) or (None,
    errors keyed as :class:`FilingRefused` names them). ``material_codes``: the materials
    files come with."""
    service = service_by_code(application.service_code)
    if service is None:
        return None, {"service": "没有这个事项"}
    errors: dict[str, str] = {}
    outcome, precheck_errors = read_precheck(service, application.precheck)
    errors.update({f"precheck.{k}": v for k, v in precheck_errors.items()})
    clean, field_errors = validate_answers(
        field_specs(service, outcome),
        application.answers,
        today=local_date(now),
        regions=lookups.regions(),
    )
    errors.update({f"fields.{k}": v for k, v in field_errors.items()})
    errors.update(
        {
            f"fields.{k}": v
            for k, v in contradictions(service, outcome, clean, now).items()
            if f"fields.{k}" not in errors
        }
    )
    known = {m.code for m in applicable_materials(service, outcome)}
    every = {m.code for m in service.materials}
    for code in [*material_codes, *application.licences]:
        if code not in every:
            errors[f"materials.{code}"] = "该事项没有这项材料"
        elif code not in known:
            errors[f"materials.{code}"] = N_("按您在情形引导中的回答，不需要提交这项材料")
    problems = material_problems(
        material_specs(service, outcome), set(material_codes), application.licences
    )
    errors.update({f"materials.{k}": v for k, v in problems.items()})
    receiving, competent = offices_for(
        service, application.competent_office, application.receiving_office, errors
    )
    if errors or receiving is None or competent is None:
        return None, errors
    return Checked(service, receiving, competent, clean, outcome, dict(application.licences)), {}


def file_application(
    *,
    applicant: User,
    application: Application,
    now: datetime,
    files: Sequence[tuple[str, StoredFile]] = (),
    idempotency_key: str | None = None,
    ip: str | None = None,
    via: Mapping[str, Any] | None = None,
) -> Case:
    """File one case, or raise :class:`FilingRefused` with every problem found. The caller
    discards ``files`` if this raises."""
    checked, errors = check_application(application, {code for code, _ in files}, now)
    if checked is None:
        raise FilingRefused(errors)
    return cases.submit_case(
        applicant=applicant,
        service=checked.service,
        receiving_office=checked.receiving,
        competent_office=checked.competent,
        form_data=checked.clean,
        now=now,
        idempotency_key=idempotency_key,
        ip=ip,
        files=list(files),
        licences=checked.licences,
        via=via,
        precheck=checked.answers,
        situation_code=checked.situation_code,
    )


def office_groups(
    offices: Sequence[Office], home_region: str | None, regions: Mapping[str, Region]
) -> tuple[list[tuple[str, list[Office]]], Office | None]:
    """The apply page's office list: the office of the applicant's registered region (or its
    city) first and preselected, then each province's offices, the applicant's province first.
    """
    parents = {code: r.parent_code for code, r in regions.items()}
    return grouped_offices(offices, lambda o: o.region_code, home_region, parents)


def prefill(service: Service, applicant: User) -> dict[str, str]:
    """What the account already says, for a new form: the phone in every phone field; in an
    office field (and its empty region field) the office of the applicant's registered region
    (or its city), as the apply page's office lists preselect it — except in a joint service,
    where the office the applicant names is the other side's (the transfer-out centre), which
    their registered region does not tell."""
    shown = {
        f.name: applicant.phone for f in service.fields if f.type == "phone" and applicant.phone
    }
    if service.mode is HandlingMode.JOINT or not applicant.home_region_code:
        return shown
    parents = {code: r.parent_code for code, r in lookups.regions().items()}
    for f in service.fields:
        if f.type != "office" or not f.department_code:
            continue
        offices = _active_offices(f.department_code)
        likely = likely_office(
            offices, lambda o: o.region_code, applicant.home_region_code, parents
        )
        if likely is None:
            continue
        shown[f.name] = likely.code
        if f.region_field and f.region_field not in shown:
            shown[f.region_field] = likely.region_code
    return shown


def _active_offices(department_code: str) -> list[Office]:
    return list(
        db.session.scalars(
            sa.select(Office)
            .where(Office.department_code == department_code, Office.active)
            .order_by(Office.region_code)
        )
    )
