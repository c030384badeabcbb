"""一件事一次办: filing a bundle (one application, one linked case per service) and
withdrawing it.

Filing is all or nothing: every service's application is checked first — its offices in the
chosen region, its pre-check answers, its fields, its materials — by the same checks as a
single filing (``filing.check_application``); only when none has a problem are the cases
written, all in one transaction, each routed to its own offices with its own clock exactly as
``cases.submit_case`` would.

Routing in the chosen region (where the citizen files): a joint service (多地联办) is received
and decided by its office there (the transfer-in side); an accept-here-decide-there service is
received there and decided by the competent office the citizen chooses; a fully online
service goes to the competent office the citizen chooses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..database import write_transaction
from ..domain import bundles as rules
from ..domain.errors import DomainError
from ..domain.states import CaseStatus, HandlingMode
from ..domain.text import N_, Named, Text
from ..domain.workflow import Action
from ..extensions import db
from ..models import (
    Bundle,
    BundleApplication,
    Case,
    Office,
    Region,
    Service,
    TrackingSequence,
    User,
)
from . import cases, filing, lookups
from .calendar import local_date
from .uploads import StoredFile, discard
from .wallet import copy_file


class BundleRefused(DomainError):
    """The bundle cannot be filed as sent; nothing was written. ``errors``: ``region``,
    ``bundle``, ``materials.<code>`` or ``<service code>/<key>`` with the keys of
    :class:`filing.FilingRefused` (``fields.<name>``, ``precheck.<code>``,
    ``competent_office`` …) → message."""

    code = "bundle_refused"

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(N_("申请内容有误，请按提示修改"), code=self.code)
        self.errors = dict(errors)


@dataclass(frozen=True)
class BundleFiling:
    """What the citizen sends: the region they file in, and per service (by code) its
    answers, pre-check answers and chosen competent office (``filing.Application``; the
    offices that follow from the region are filled in here). E-licence numbers and files
    are per material, shared by every service that needs the material."""

    bundle_code: str
    region_code: str
    parts: Mapping[str, filing.Application]
    licences: Mapping[str, str] = field(default_factory=dict)


# ---- reading -------------------------------------------------------------------------------


def listed() -> list[Bundle]:
    return list(db.session.scalars(sa.select(Bundle).where(Bundle.active).order_by(Bundle.id)))


def bundle_by_code(code: str) -> Bundle | None:
    return db.session.scalars(
        sa.select(Bundle).where(Bundle.code == code, Bundle.active)
    ).one_or_none()


def application_of(user: User, number: str) -> BundleApplication | None:
    return db.session.scalars(
        sa.select(BundleApplication).where(
            BundleApplication.number == number, BundleApplication.applicant_id == user.id
        )
    ).one_or_none()


def applications_of(user: User) -> list[BundleApplication]:
    return list(
        db.session.scalars(
            sa.select(BundleApplication)
            .where(BundleApplication.applicant_id == user.id)
            .order_by(BundleApplication.created_at.desc(), BundleApplication.id.desc())
        )
    )


def combined(application: BundleApplication) -> rules.Combined:
    return rules.combined([c.status for c in application.cases])


def siblings(case: Case) -> list[Case]:
    """The other cases filed with ``case`` in one bundle application."""
    if case.bundle_application is None:
        return []
    return [c for c in case.bundle_application.cases if c.id != case.id]


def shared_fields(bundle: Bundle) -> set[str]:
    """The fields asked once: same name, same type and same choices in two or more services."""
    return rules.shared_fields(
        {
            s.code: [
                (f.name, f"{f.type}:{','.join(c['value'] for c in (f.choices or ()))}")
                for f in s.fields
            ]
            for s in bundle.services
        }
    )


def chooses_competent(service: Service) -> bool:
    """Whether the citizen chooses this service's competent office (else the region's)."""
    return service.mode is not HandlingMode.JOINT


def _region_office(
    department_code: str, region_code: str, regions: Mapping[str, Region]
) -> Office | None:
    """The department's active office in the region, or in its parent (a county's city)."""
    codes = [region_code]
    parent = regions[region_code].parent_code if region_code in regions else None
    if parent:
        codes.append(parent)
    found = {
        o.region_code: o
        for o in db.session.scalars(
            sa.select(Office).where(
                Office.department_code == department_code,
                Office.region_code.in_(codes),
                Office.active,
            )
        )
    }
    return next((found[c] for c in codes if c in found), None)


def routed_here(service: Service) -> str:
    """The department whose office in the chosen region receives the service's case."""
    if service.mode is HandlingMode.JOINT:
        return service.competent_department_code
    return service.department_code


def region_offices(bundle: Bundle, region_code: str) -> dict[str, Office | None]:
    """Per service code, the office in the region that receives its case (None: none there;
    fully online services are not received by region and are left out)."""
    regions = lookups.regions()
    return {
        s.code: _region_office(routed_here(s), region_code, regions)
        for s in bundle.services
        if s.mode is not HandlingMode.FULLY_ONLINE
    }


def unavailable(bundle: Bundle, region_code: str) -> dict[str, Text]:
    """The bundle's services that cannot be filed in the region, by code, with the reason."""
    regions = lookups.regions()
    region = regions.get(region_code)
    if region is None or region.level == "province":
        return {"region": N_("请选择办理地区（市或区县）")}
    offices = region_offices(bundle, region_code)
    found: dict[str, Text] = {}
    for s in bundle.services:
        name = Named(s.name_zh, s.name_en)
        if not s.active:
            found[s.code] = N_("%(service)s暂停受理", service=name)
        elif s.code in offices and offices[s.code] is None:
            found[s.code] = N_(
                "%(service)s在%(region)s没有受理部门，请选择其他地区",
                service=name,
                region=Named(region.name_zh, region.name_en),
            )
    return found


# ---- filing --------------------------------------------------------------------------------


def _applies(service: Service, application: filing.Application) -> set[str]:
    """The material codes that apply to this service with its pre-check answers."""
    outcome, errors = filing.read_precheck(service, application.precheck)
    if errors:
        return {m.code for m in service.materials}
    return {m.code for m in filing.applicable_materials(service, outcome)}


def _next_number(session: sa.orm.Session, now: datetime) -> str:
    from sqlalchemy.dialects import postgresql, sqlite

    today = local_date(now)
    scope = f"B{today:%y%m%d}"
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(TrackingSequence).values(scope=scope, last=1)
    serial = session.execute(
        stmt.on_conflict_do_update(
            index_elements=[TrackingSequence.scope], set_={"last": TrackingSequence.last + 1}
        ).returning(TrackingSequence.last)
    ).scalar_one()
    return f"YJ{today:%y%m%d}{int(serial):06d}"


def _check_all(
    applicant: User,
    bundle: Bundle,
    filed: BundleFiling,
    uploaded: set[str],
    now: datetime,
) -> tuple[list[filing.Checked], dict[str, str]]:
    """Every service's application checked as a single filing would be, nothing written."""
    errors: dict[str, str] = dict(unavailable(bundle, filed.region_code))
    if "region" in errors:
        return [], errors
    here = region_offices(bundle, filed.region_code)
    used: set[str] = set()
    checked: list[filing.Checked] = []
    for service in bundle.services:
        if service.code in errors:
            continue
        part = filed.parts.get(service.code) or filing.Application(service.code, "")
        office = here.get(service.code)
        if office is not None and service.mode is HandlingMode.JOINT:
            part = replace(part, competent_office=office.code, receiving_office=None)
        elif office is not None:  # received in the chosen region, decided where chosen
            part = replace(part, receiving_office=office.code)
        applies = _applies(service, part)
        used |= applies
        part = replace(
            part,
            service_code=service.code,
            licences={c: n for c, n in filed.licences.items() if c in applies},
        )
        ok, found = filing.check_application(part, uploaded & applies, now)
        for key, message in found.items():
            errors.setdefault(
                key if key.startswith("materials.") else f"{service.code}/{key}", message
            )
        if ok is None:
            continue
        try:
            cases.check_submission(applicant, ok.service, ok.receiving, ok.competent)
        except DomainError as exc:
            errors[f"{service.code}/service"] = exc.message
        else:
            checked.append(ok)
    for code in sorted((uploaded | set(filed.licences)) - used):
        errors[f"materials.{code}"] = N_("按您的回答，这项材料不需要提交")
    return checked, errors


def _files_per_case(
    checked: list[filing.Checked],
    files: Sequence[tuple[str, StoredFile]],
    folder: Path,
    copies: list[StoredFile],
) -> list[list[tuple[str, StoredFile]]]:
    """Each case's files: a material shared by several services is copied for the others
    (each case owns its file, as the retention sweep expects). New copies go to ``copies``."""
    per_case: list[list[tuple[str, StoredFile]]] = []
    taken: set[str] = set()
    for ok in checked:
        applies = {m.code for m in filing.applicable_materials(ok.service, ok.outcome)}
        mine: list[tuple[str, StoredFile]] = []
        for code, stored in files:
            if code not in applies:
                continue
            if code in taken:
                copy = copy_file(folder, stored.stored_name, stored.original_name)
                if copy is None:
                    raise BundleRefused({f"materials.{code}": N_("上传的文件已丢失，请重新上传")})
                copies.append(copy)
                stored = copy
            taken.add(code)
            mine.append((code, stored))
        per_case.append(mine)
    return per_case


def file_bundle(
    *,
    applicant: User,
    filed: BundleFiling,
    now: datetime,
    folder: Path,
    files: Sequence[tuple[str, StoredFile]] = (),
    idempotency_key: str | None = None,
    ip: str | None = None,
) -> BundleApplication:
    """Check every service's application, then write one case per service in one
    transaction; or raise :class:`BundleRefused` with every problem and write nothing. The
    caller discards ``files`` if this raises."""
    bundle = bundle_by_code(filed.bundle_code)
    if bundle is None:
        raise BundleRefused({"bundle": N_("没有这个一件事")})
    checked, errors = _check_all(applicant, bundle, filed, {code for code, _ in files}, now)
    if errors:
        raise BundleRefused(errors)
    copies: list[StoredFile] = []
    try:
        per_case = _files_per_case(checked, files, folder, copies)
        with write_transaction() as session:
            if idempotency_key:
                existing = session.scalars(
                    sa.select(BundleApplication).where(
                        BundleApplication.applicant_id == applicant.id,
                        BundleApplication.idempotency_key == idempotency_key,
                    )
                ).one_or_none()
                if existing is not None:
                    discard(copies, folder)
                    return existing
            application = BundleApplication(
                number=_next_number(session, now),
                applicant_id=applicant.id,
                bundle_id=bundle.id,
                region_code=filed.region_code,
                idempotency_key=idempotency_key,
                created_at=now,
            )
            session.add(application)
            session.flush()
            for ok, mine in zip(checked, per_case, strict=True):
                cases.insert_case(
                    session,
                    applicant=applicant,
                    service=ok.service,
                    receiving_office=ok.receiving,
                    competent_office=ok.competent,
                    form_data=ok.clean,
                    now=now,
                    ip=ip,
                    files=mine,
                    licences=ok.licences,
                    precheck=ok.answers,
                    situation_code=ok.situation_code,
                    bundle_application_id=application.id,
                )
    except BaseException:
        discard(copies, folder)
        raise
    db.session.expire(application, ["cases"])
    return application


# ---- withdrawing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WithdrawResult:
    case: Case
    withdrawn: bool
    reason: str | None = None  # why not


def withdraw_bundle(
    *,
    applicant: User,
    application: BundleApplication,
    reason: str,
    now: datetime,
    ip: str | None = None,
) -> list[WithdrawResult]:
    """Withdraw every case of the bundle that can still be withdrawn (the applicant's own
    move: 撤件 before acceptance, 撤回 after), each as its own move; say for the others why
    not. A reason is required, as for one case."""
    if not reason.strip():
        raise DomainError(N_("请填写撤回原因"), code="reason_required")
    results: list[WithdrawResult] = []
    for case in list(application.cases):
        why = rules.why_not_withdrawn(case.status)
        if why is not None:
            results.append(WithdrawResult(case, False, why))
            continue
        action = Action.RETRACT if case.accepted_at is None else Action.WITHDRAW
        try:
            cases.act(
                case.id, action, applicant, now, expected_version=case.version, reason=reason, ip=ip
            )
        except DomainError as exc:
            results.append(WithdrawResult(case, False, exc.message))
        else:
            results.append(WithdrawResult(case, True))
    db.session.expire_all()
    return results


__all__ = [
    "BundleFiling",
    "BundleRefused",
    "CaseStatus",
    "WithdrawResult",
    "file_bundle",
    "withdraw_bundle",
]


# ---- the combined form's parts -------------------------------------------------------------


@dataclass
class BundleMaterial:
    """A material of the bundle, asked once for every service that needs it."""

    code: str
    name_zh: str
    name_en: str
    note_zh: str
    note_en: str
    required: bool
    e_licence: bool
    services: list[Service]


def materials_of(bundle: Bundle, outcomes: Mapping[str, Any] | None = None) -> list[BundleMaterial]:
    """The bundle's materials once each, in the order the services list them: required if
    any service that needs it requires it, citable by e-licence if every one allows it.
    ``outcomes``: each service's pre-check outcome (None: every material, as the catalogue
    lists it)."""
    found: dict[str, BundleMaterial] = {}
    for service in bundle.services:
        outcome = (outcomes or {}).get(service.code)
        for m in filing.applicable_materials(service, outcome):
            row = found.get(m.code)
            if row is None:
                found[m.code] = BundleMaterial(
                    m.code,
                    m.name_zh,
                    m.name_en,
                    m.note_zh or "",
                    m.note_en or "",
                    m.required,
                    m.e_licence,
                    [service],
                )
            else:
                row.required = row.required or m.required
                row.e_licence = row.e_licence and m.e_licence
                row.services.append(service)
    return list(found.values())


class FormField:
    """A service's form field as the combined form names it (``name``); the rest is the
    catalogue's field, so the shared field renderer draws it like the single form does."""

    def __init__(self, row: Any, name: str, required: bool | None = None) -> None:
        self._row = row
        self.name = name
        self.field_name = row.name
        self.required = row.required if required is None else required

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._row, attr)


def fields_of(
    bundle: Bundle, outcomes: Mapping[str, Any]
) -> tuple[list[FormField], dict[str, list[FormField]]]:
    """(the fields asked once, each service's own fields by code) that apply with the answers."""
    shared = shared_fields(bundle)
    once: dict[str, FormField] = {}
    own: dict[str, list[FormField]] = {}
    for service in bundle.services:
        own[service.code] = []
        for f in filing.applicable_fields(service, outcomes.get(service.code)):
            if f.name in shared:
                if f.name in once:
                    once[f.name].required = once[f.name].required or f.required
                else:
                    once[f.name] = FormField(f, f.name)
            else:
                own[service.code].append(
                    FormField(f, rules.form_name(service.code, f.name, shared))
                )
    return list(once.values()), own
