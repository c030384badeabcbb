"""Services, versioned: drafts, publishing, retiring (the admin console's services section).

A service's definition is one document (``domain.service_spec``: an entry of services.json).
The live rows (``services`` and its materials, fields and cooperations) hold the current
published version, ``services.version``; everything that reads the catalogue (queries,
dashboards, the API, the bench) keeps reading them. Publishing first freezes the current
version into ``service_versions`` (if it is not frozen yet), then writes the new document into
the live rows and freezes it as the next version. A case keeps ``cases.service_version`` and its
form and materials render from that version's frozen document forever.

A draft (``service_drafts``) is an admin's unpublished edit, at most one per code. Retiring a
service stops new filings (the public catalogue, apply, the API and Open311 read only active
services); its cases continue. Every change is recorded by :mod:`.admin_changes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from ..database import write_transaction
from ..domain.errors import DomainError
from ..domain.service_spec import canonical, problems
from ..domain.states import HandlingMode
from ..domain.text import N_, Text
from ..extensions import db
from ..models import Case, Department, Service, ServiceDraft, ServiceVersion, User
from . import admin_changes
from .catalogue import _replace_children, _service_row

KIND = "service"
STATUSES = ("draft", "published", "retired")
admin_changes.LABELS.setdefault("draft_saved", N_("保存草稿"))
admin_changes.LABELS.setdefault("draft_discarded", N_("放弃草稿"))


class DraftRefused(DomainError):
    """The document cannot be saved or published as it is: ``errors`` {field key: message}."""

    code = "draft_refused"

    def __init__(self, errors: Mapping[str, Text]) -> None:
        super().__init__(N_("事项内容有误，请按提示修改"), code=self.code)
        self.errors = dict(errors)


# ---- reading --------------------------------------------------------------------------------


def snapshot_of(service: Service) -> dict[str, Any]:
    """The live rows as a canonical document."""
    return canonical(
        {
            "code": service.code,
            "name_zh": service.name_zh,
            "name_en": service.name_en,
            "department": service.department_code,
            "mode": service.mode.value,
            "statutory_days": service.statutory_days,
            "promised_days": service.promised_days,
            "limits_confirmed": service.limits_confirmed,
            "fee_zh": service.fee_zh,
            "fee_en": service.fee_en,
            "summary_zh": service.summary_zh,
            "summary_en": service.summary_en,
            "legal_basis_zh": service.legal_basis_zh,
            "legal_basis_en": service.legal_basis_en,
            "result_zh": service.result_zh,
            "result_en": service.result_en,
            "offices": {
                "receiving": service.receiving,
                "competent_department": service.competent_department_code,
                "cooperating": [
                    {
                        "department": c.department_code,
                        "role_zh": c.role_zh,
                        "role_en": c.role_en,
                        "task_zh": c.task_zh,
                        "task_en": c.task_en,
                        "limit_days": c.limit_days,
                    }
                    for c in service.cooperations
                ],
            },
            "materials": [
                {
                    "code": m.code,
                    "name_zh": m.name_zh,
                    "name_en": m.name_en,
                    "required": m.required,
                    "e_licence": m.e_licence,
                    "note_zh": m.note_zh,
                    "note_en": m.note_en,
                }
                for m in service.materials
            ],
            "form_fields": [
                {
                    "name": f.name,
                    "label_zh": f.label_zh,
                    "label_en": f.label_en,
                    "type": f.type,
                    "required": f.required,
                    "max_length": f.max_length,
                    "min": f.min_value,
                    "max": f.max_value,
                    "choices": f.choices,
                    "help_zh": f.help_zh,
                    "help_en": f.help_en,
                    **(
                        {"department": f.department_code, "region_field": f.region_field or ""}
                        if f.type == "office"
                        else {}
                    ),
                }
                for f in service.fields
            ],
            "precheck": service.precheck or [],
        }
    )


def department_codes() -> set[str]:
    return set(db.session.scalars(sa.select(Department.code)))


def departments() -> list[Department]:
    return list(db.session.scalars(sa.select(Department).order_by(Department.code)))


def service(code: str) -> Service | None:
    """The service with this code, active or retired."""
    return db.session.scalars(
        sa.select(Service)
        .where(Service.code == code)
        .options(
            selectinload(Service.materials),
            selectinload(Service.fields),
            selectinload(Service.cooperations),
        )
    ).one_or_none()


def draft(code: str) -> ServiceDraft | None:
    return db.session.get(ServiceDraft, code)


def status_of(s: Service | None) -> str:
    if s is None:
        return "draft"
    return "published" if s.active else "retired"


@dataclass(frozen=True)
class Row:
    """One line of the services list."""

    code: str
    name_zh: str
    name_en: str
    department: str
    mode: str
    status: str
    version: int | None
    has_draft: bool


def listing(q: str = "", department: str = "", mode: str = "", status: str = "") -> list[Row]:
    """Services and drafts of new services, filtered (search in code and both names)."""
    drafts = {d.code: d for d in db.session.scalars(sa.select(ServiceDraft))}
    rows = [
        Row(
            s.code,
            s.name_zh,
            s.name_en,
            s.department_code,
            s.mode.value,
            status_of(s),
            s.version,
            s.code in drafts,
        )
        for s in db.session.scalars(sa.select(Service).order_by(Service.code))
    ]
    known = {r.code for r in rows}
    rows += [
        Row(
            d.code,
            str(d.snapshot.get("name_zh", "")),
            str(d.snapshot.get("name_en", "")),
            str(d.snapshot.get("department", "")),
            str(d.snapshot.get("mode", "")),
            "draft",
            None,
            True,
        )
        for d in drafts.values()
        if d.code not in known
    ]
    needle = q.strip().lower()
    return sorted(
        (
            r
            for r in rows
            if (not needle or needle in f"{r.code} {r.name_zh} {r.name_en}".lower())
            and (not department or r.department == department)
            and (not mode or r.mode == mode)
            and (not status or r.status == status or (status == "draft" and r.has_draft))
        ),
        key=lambda r: r.code,
    )


def versions(s: Service) -> list[ServiceVersion]:
    """The frozen versions, newest first."""
    return list(
        db.session.scalars(
            sa.select(ServiceVersion)
            .where(ServiceVersion.service_id == s.id)
            .order_by(ServiceVersion.version.desc())
        )
    )


def cases_by_version(s: Service) -> dict[int, int]:
    """How many cases were filed under each version (a count: no case is read)."""
    rows = db.session.execute(
        sa.select(Case.service_version, sa.func.count())
        .where(Case.service_id == s.id)
        .group_by(Case.service_version)
    ).all()
    return {int(v): int(n) for v, n in rows}


def working_document(code: str) -> dict[str, Any] | None:
    """What the editor starts from: the draft, else the current version."""
    d = draft(code)
    if d is not None:
        return canonical(d.snapshot)
    s = service(code)
    return snapshot_of(s) if s is not None else None


def blank(department: str = "") -> dict[str, Any]:
    return canonical(
        {
            "department": department,
            "mode": HandlingMode.FULLY_ONLINE.value,
            "statutory_days": 20,
            "promised_days": 10,
            "offices": {"receiving": "competent", "competent_department": department},
        }
    )


# ---- changing -------------------------------------------------------------------------------


def check(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical document, or :class:`DraftRefused` with every problem."""
    clean = canonical(doc)
    errors = problems(clean, department_codes())
    if errors:
        raise DraftRefused(errors)
    return clean


def freeze_current(session: Session, s: Service, at: datetime | None = None) -> None:
    """Make sure the service's current version is frozen before its live rows change."""
    if s.id is None or session.get(ServiceVersion, (s.id, s.version)) is not None:
        return
    session.add(
        ServiceVersion(service_id=s.id, version=s.version, snapshot=snapshot_of(s), published_at=at)
    )
    session.flush()


def flat(doc: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A document as dotted keys, so a change history names the item that changed."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flat(value, f"{name}."))
        elif isinstance(value, list) and value and isinstance(value[0], Mapping):
            for i, item in enumerate(value):
                out.update(flat(item, f"{name}.{i}."))
        else:
            out[name] = value
    return out


def publish_document(
    session: Session,
    *,
    actor: User,
    at: datetime,
    doc: Mapping[str, Any],
    change: str = "published",
    ip: str | None = None,
) -> Service:
    """Write a checked, canonical document as the service's next version (in the caller's
    transaction): freeze the current one, update the live rows, freeze the new one."""
    s = session.scalars(sa.select(Service).where(Service.code == doc["code"])).one_or_none()
    if s is None:
        s = Service(**_service_row(dict(doc)), version=1)
        session.add(s)
        session.flush()
        before: dict[str, Any] | None = None
    else:
        freeze_current(session, s)
        before = {**flat(snapshot_of(s)), "version": s.version}
        for key, value in _service_row(dict(doc)).items():
            setattr(s, key, value)
        s.version += 1
    _replace_children(s, dict(doc))
    session.flush()
    session.add(
        ServiceVersion(
            service_id=s.id,
            version=s.version,
            snapshot=dict(doc),
            published_at=at,
            published_by=actor.id,
        )
    )
    admin_changes.record_change(
        session,
        actor=actor,
        at=at,
        kind=KIND,
        key=s.code,
        change=change if before is not None else "created",
        before=before,
        after={**flat(doc), "version": s.version},
        ip=ip,
    )
    session.flush()
    return s


def save_draft(
    *, actor: User, at: datetime, doc: Mapping[str, Any], new: bool = False, ip: str | None = None
) -> ServiceDraft:
    """Save the admin's edit as the draft of its code (checked as for publishing). ``new``:
    the code must not be taken yet."""
    clean = check(doc)
    code = clean["code"]
    existing = service(code)
    with write_transaction() as session:
        d = session.get(ServiceDraft, code)
        if new and (existing is not None or d is not None):
            raise DraftRefused({"code": N_("该事项编码已被使用")})
        if d is None:
            before = snapshot_of(existing) if existing is not None else None
            d = ServiceDraft(
                code=code,
                based_on=existing.version if existing else None,
                snapshot=clean,
                updated_at=at,
                updated_by=actor.id,
            )
            session.add(d)
        else:
            before = canonical(d.snapshot)
            d.snapshot, d.updated_at, d.updated_by = clean, at, actor.id
        admin_changes.record_change(
            session,
            actor=actor,
            at=at,
            kind=KIND,
            key=code,
            change="draft_saved",
            before=flat(before) if before is not None else None,
            after=flat(clean),
            ip=ip,
        )
    return d


def discard_draft(*, actor: User, at: datetime, code: str, ip: str | None = None) -> None:
    with write_transaction() as session:
        d = session.get(ServiceDraft, code)
        if d is None:
            return
        session.delete(d)
        admin_changes.record_change(
            session, actor=actor, at=at, kind=KIND, key=code, change="draft_discarded", ip=ip
        )


def publish(*, actor: User, at: datetime, code: str, ip: str | None = None) -> Service:
    """Publish the draft of ``code`` as the next version (new cases use it at once)."""
    d = draft(code)
    if d is None:
        raise DomainError(N_("没有待发布的草稿"), code="no_draft")
    clean = check(d.snapshot)
    with write_transaction() as session:
        s = publish_document(session, actor=actor, at=at, doc=clean, ip=ip)
        session.delete(session.get(ServiceDraft, code))
    return s


def _set_active(actor: User, at: datetime, code: str, active: bool, ip: str | None) -> Service:
    s = service(code)
    if s is None:
        raise DomainError(N_("没有这个事项"), code="not_found")
    if s.active is active:
        return s
    with write_transaction() as session:
        s.active = active
        admin_changes.record_change(
            session,
            actor=actor,
            at=at,
            kind=KIND,
            key=code,
            change="reactivated" if active else "retired",
            before={"status": "retired" if active else "published"},
            after={"status": "published" if active else "retired"},
            ip=ip,
        )
    return s


def retire(*, actor: User, at: datetime, code: str, ip: str | None = None) -> Service:
    """No new filings (catalogue, apply, API, Open311); existing cases continue."""
    return _set_active(actor, at, code, False, ip)


def reinstate(*, actor: User, at: datetime, code: str, ip: str | None = None) -> Service:
    return _set_active(actor, at, code, True, ip)
