"""Written notices: issued by the move that calls for one, kept with the case, verified by code.

- ``check_move`` (before a move writes anything) refuses a move whose notice lacks a required
  fact (``NoticeFactsMissing``, by field); ``issue_for_move`` issues it in the move's
  transaction (``cases.act`` calls both).
- ``issue(session, case, kind, facts, now, actor=…)`` is the entry point for other steps that
  issue a notice (delivery of the result: ``NoticeKind.DELIVERY`` with ``delivery_method``,
  ``delivery_ref``, ``documents``, ``note``): it checks the facts, numbers the notice per office
  and year, renders its words from ``templates/notices/`` and writes the row. The caller's
  transaction commits it.
- ``document`` gives the signed PDF: drawn and signed on first use, then kept with its digest.
- ``verify`` answers a verification code with what may be public (kind, office, date, number,
  digest), never personal data; ``None`` for a code that is unknown or malformed alike.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import sqlalchemy as sa
from babel.dates import format_date
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .. import crypto
from ..database import write_transaction
from ..domain.errors import DomainError
from ..domain.notices import (
    APPEAL_DAYS,
    KIND_OF_ACTION,
    LAWSUIT_MONTHS,
    REJECT_GROUND_LABELS,
    NoticeKind,
    RejectGround,
    document_number,
    missing_facts,
    new_verification_code,
    normalise_code,
)
from ..domain.states import DELIVERY_LABELS, DeliveryMethod
from ..domain.text import N_, Text
from ..domain.workflow import Action
from ..extensions import db
from ..models import Case, CaseEvent, Notice, NoticeSequence, Office, User
from . import notice_keys, notice_pdf
from .calendar import local_date

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "notices"
PDF_PURPOSE = "notices.pdf"


class NoticeFactsMissing(DomainError):
    """A notice cannot be issued without these facts; ``fields`` maps each to its message."""

    code = "notice_facts"

    def __init__(self, fields: Mapping[str, Text]) -> None:
        super().__init__(next(iter(fields.values())), code=self.code)
        self.fields: dict[str, Text] = dict(fields)


def zh_date(value: str | date | None) -> str:
    if not value:
        return ""
    d = date.fromisoformat(value) if isinstance(value, str) else value
    return str(format_date(d, "long", locale="zh"))  # 2026年11月2日 (Babel, as the pages)


def en_date(value: str | date | None) -> str:
    if not value:
        return ""
    d = date.fromisoformat(value) if isinstance(value, str) else value
    return str(format_date(d, "long", locale="en"))  # November 2, 2026


_env = jinja2.Environment(  # nosec B701  # plain text for a PDF; escaped where a page shows it
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    autoescape=False,  # noqa: S701 - plain text for a PDF; the web escapes when it shows it
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=False,
)
_env.filters["zh_date"] = zh_date
_env.filters["en_date"] = en_date


def _template(lang: str, kind: NoticeKind, service_code: str, department: str) -> jinja2.Template:
    return _env.select_template(
        [
            f"{lang}/{kind.value}.{service_code}.txt",
            f"{lang}/{kind.value}.{department}.txt",
            f"{lang}/{kind.value}.txt",
        ]
    )


def render_text(kind: NoticeKind, facts: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """The notice's words in Chinese and English, and the Chinese template's name."""
    out: dict[str, Any] = {}
    name = ""
    for lang in ("zh", "en"):
        template = _template(lang, kind, facts["service_code"], facts["department_code"])
        name = name or str(template.name)
        lines = [line.strip() for line in template.render(**facts).splitlines()]
        lines = [line for line in lines if line]
        out[lang] = {"title": lines[0], "addressee": lines[1], "paragraphs": lines[2:]}
    return out, name


# ---- the facts of a move ---------------------------------------------------------------------


def move_facts(action: Action, reason: str | None, payload: Mapping[str, Any]) -> dict[str, Any]:
    """What the move itself supplies to its notice (the rest comes from the case)."""
    facts: dict[str, Any] = {"reason": (reason or "").strip()}
    if action is Action.REJECT:
        hint = str(payload.get("competent_office_hint") or "").strip()
        ground = payload.get("ground") or (
            RejectGround.NOT_COMPETENT if hint else RejectGround.NOT_ELIGIBLE
        )
        facts.update(ground=str(ground), competent_office=hint)
        note = appeal_rights(str(payload.get("appeal_rights") or ""))
        facts["appeal_note"] = "" if note == DEFAULT_APPEAL_RIGHTS else note
    if action is Action.REQUEST_EXTENSION:
        facts["days"] = payload.get("days")
    return facts


# 告知申请人依法享有的救济权利 (行政复议法 art. 20: 60 days; 行政诉讼法 art. 46: six months).
# Stored in Chinese (the string itself); the clerk's form shows it in the page's language, and
# the written notice states the rights in each language itself (templates/notices/*/rejection).
DEFAULT_APPEAL_RIGHTS = N_(
    "如对本决定不服，可自收到本决定之日起六十日内依法申请行政复议，"
    "或者在六个月内依法向人民法院提起行政诉讼。"
)


@lru_cache(maxsize=1)
def _default_appeal_texts() -> frozenset[str]:
    """The default appeal-rights text as every interface language shows it (spaces folded)."""
    from . import wording

    languages = [wording.SOURCE_LANGUAGE] + [
        p.name for p in wording.TRANSLATIONS.iterdir() if (p / "LC_MESSAGES").is_dir()
    ]
    return frozenset(
        " ".join(wording.render(DEFAULT_APPEAL_RIGHTS, lang).split()) for lang in languages
    )


def appeal_rights(note: str | None) -> str:
    """The appeal-rights text a refusal keeps: the default (stored in Chinese) when ``note`` is
    empty or is the default as the clerk's form showed it in any language; else the note."""
    text = (note or "").strip()
    if not text or " ".join(text.split()) in _default_appeal_texts():
        return str(DEFAULT_APPEAL_RIGHTS)
    return text


def check(kind: NoticeKind, facts: Mapping[str, Any]) -> None:
    missing = missing_facts(kind, facts)
    if missing:
        raise NoticeFactsMissing(missing)


def check_move(action: Action, reason: str | None, payload: Mapping[str, Any]) -> None:
    """Refuse the move (nothing written yet) if its notice would lack a required fact."""
    kind = KIND_OF_ACTION.get(action)
    if kind is not None:
        check(kind, move_facts(action, reason, payload))


def case_facts(case: Case, office: Office) -> dict[str, Any]:
    """What every notice of ``case`` says about the case, the applicant and the office."""
    region = office.region
    return {
        "applicant_name": case.applicant.real_name,
        "tracking_number": case.tracking_number,
        "service_code": case.service.code,
        "service_zh": case.service.name_zh,
        "service_en": case.service.name_en,
        "department_code": case.service.department_code,
        "office_code": office.code,
        "office_zh": office.name_zh,
        "office_en": office.name_en,
        "office_address": office.address,
        "office_phone": office.phone,
        "received_on": case.received_on.isoformat(),
        "accepted_on": case.clock_start_on.isoformat() if case.clock_start_on else "",
        "due_on": case.due_on.isoformat() if case.due_on else "",
        "due_pending_year": case.due_pending_year,
        "promised_days": case.promised_days,
        "extension_days": case.extension_days,
        "review_body_zh": f"{region.name_zh}人民政府",
        "review_body_en": f"the People's Government of {region.name_en}",
        "appeal_days": APPEAL_DAYS,
        "lawsuit_months": LAWSUIT_MONTHS,
        "result_zh": case.service.result_zh,
        "result_en": case.service.result_en,
    }


def _material_names(case: Case) -> list[dict[str, str]]:
    names = {m.code: (m.name_zh, m.name_en) for m in case.service.materials}
    seen: list[str] = []
    for a in case.attachments:
        if a.material_code in names and a.material_code not in seen:
            seen.append(a.material_code)
    return [{"zh": names[c][0], "en": names[c][1]} for c in seen]


def _last_reason(session: Session, case: Case, action: Action) -> str:
    reason = session.scalars(
        sa.select(CaseEvent.reason)
        .where(CaseEvent.case_id == case.id, CaseEvent.action == action.value)
        .order_by(CaseEvent.id.desc())
        .limit(1)
    ).first()
    return reason or ""


def _facts_for_move(
    session: Session,
    case: Case,
    action: Action,
    reason: str | None,
    payload: Mapping[str, Any],
    office: Office,
) -> dict[str, Any]:
    facts = {**case_facts(case, office), **move_facts(action, reason, payload)}
    if action in (Action.ACCEPT, Action.DEEM_ACCEPTED):
        facts.update(deemed=action is Action.DEEM_ACCEPTED, materials=_material_names(case))
    elif action is Action.REQUEST_SUPPLEMENT:
        names = {m.code: (m.name_zh, m.name_en) for m in case.service.materials}
        facts["items"] = [
            {
                "zh": names.get(i["material"], (i["material"], i["material"]))[0],
                "en": names.get(i["material"], (i["material"], i["material"]))[1],
                "note": str(i.get("note") or ""),
            }
            for i in payload.get("items", [])
        ]
    elif action is Action.REJECT:
        ground = RejectGround(facts["ground"])
        facts.update(
            ground_zh=REJECT_GROUND_LABELS[ground][0],
            ground_en=REJECT_GROUND_LABELS[ground][1].lower(),
        )
    elif action is Action.APPROVE_EXTENSION:
        # The applicant is told the reason the office gave when it asked for more time.
        facts["reason"] = _last_reason(session, case, Action.REQUEST_EXTENSION) or facts["reason"]
    elif action in (Action.APPROVE, Action.APPROVE_TOLERATED):
        facts["tolerated"] = action is Action.APPROVE_TOLERATED
    return facts


# ---- issuing ---------------------------------------------------------------------------------


def _next_serial(session: Session, scope: str) -> int:
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(NoticeSequence).values(scope=scope, last=1)
    upsert = stmt.on_conflict_do_update(
        index_elements=[NoticeSequence.scope], set_={"last": NoticeSequence.last + 1}
    ).returning(NoticeSequence.last)
    return int(session.execute(upsert).scalar_one())


def office_mark(office: Office) -> str:
    """The office's part of a document number (its code, e.g. 510100HF)."""
    return office.code.replace("-", "").upper()


def issue(
    session: Session,
    case: Case,
    kind: NoticeKind,
    facts: Mapping[str, Any],
    now: datetime,
    *,
    actor: User | None = None,
    action: Action | None = None,
    office: Office | None = None,
) -> Notice:
    """Issue one notice of ``case`` in the caller's transaction and return it.

    ``facts`` are the notice's own facts (e.g. ``reason``); the case's (applicant, service,
    office, dates) are added here. ``office`` defaults to the actor's office, else the office
    holding the case. Raises ``NoticeFactsMissing`` before writing anything if a required
    fact is missing."""
    office = office or (session.get(Office, actor.office_id) if actor and actor.office_id else None)
    office = office or case.custody_office
    full = {**case_facts(case, office), **facts}
    check(kind, full)
    text, template = render_text(kind, full)
    today = local_date(now)
    serial = _next_serial(session, f"{office.id}:{today.year}")
    code = new_verification_code()
    while session.scalars(sa.select(Notice.id).where(Notice.verification_code == code)).first():
        code = new_verification_code()  # 80 bits: practically never
    notice = Notice(
        case_id=case.id,
        kind=kind.value,
        action=action.value if action else None,
        number=document_number(office_mark(office), kind, today.year, serial),
        office_id=office.id,
        issued_at=now,
        clerk_name=actor.real_name if actor is not None and actor.office_id else "",
        facts=dict(full),
        text=text,
        verification_code=code,
        template=template,
    )
    session.add(notice)
    session.flush()
    return notice


def issue_for_move(
    session: Session,
    case: Case,
    action: Action,
    actor: User | None,
    reason: str | None,
    payload: Mapping[str, Any],
    now: datetime,
) -> Notice | None:
    """The notice ``action`` calls for (None if it calls for none), after the move's changes."""
    kind = KIND_OF_ACTION.get(action)
    if kind is None:
        return None
    office = session.get(Office, actor.office_id) if actor and actor.office_id else None
    if office is None or action is Action.APPROVE_EXTENSION:
        office = case.custody_office  # the supervisor approves; the office tells the applicant
    facts = _facts_for_move(session, case, action, reason, payload, office)
    return issue(session, case, kind, facts, now, actor=actor, action=action, office=office)


def delivery_facts(
    method: str, ref: str | None, delivered_on: date, documents: list[str], note: str = ""
) -> dict[str, Any]:
    """The facts of a ``NoticeKind.DELIVERY`` notice, for the delivery step (case-end lane)."""
    known = method in {m.value for m in DeliveryMethod}
    labels = DELIVERY_LABELS[DeliveryMethod(method)] if known else (method, method)
    return {
        "delivery_method": method,
        "method_zh": labels[0],
        "method_en": labels[1],
        "delivery_ref": ref or "",
        "delivered_on": delivered_on.isoformat(),
        "documents": documents,
        "note": note,
    }


# ---- reading ---------------------------------------------------------------------------------


def notices_of(case_id: int) -> list[Notice]:
    return list(
        db.session.scalars(
            sa.select(Notice).where(Notice.case_id == case_id).order_by(Notice.id)
        ).all()
    )


def notice_of_case(case_id: int, notice_id: int) -> Notice | None:
    return db.session.scalars(
        sa.select(Notice).where(Notice.case_id == case_id, Notice.id == notice_id)
    ).one_or_none()


@dataclass(frozen=True)
class KeySettings:
    folder: str
    autocreate: bool


def _verify_url(base: str, code: str) -> str:
    return f"{base.rstrip('/')}/verify?code={code}"


def render_signed(notice: Notice, keys: KeySettings, verify_base: str, now: datetime) -> bytes:
    """Draw and sign ``notice`` (no database write)."""
    issued = local_date(notice.issued_at)
    office = notice.office
    pdf = notice_pdf.render(
        notice.text,
        notice_pdf.PdfFacts(
            number=notice.number,
            office_zh=office.name_zh,
            office_en=office.name_en,
            issued_on_zh=zh_date(issued),
            issued_on_en=en_date(issued),
            clerk_name=notice.clerk_name,
            verification_code=notice.verification_code,
            verify_url=_verify_url(verify_base, notice.verification_code),
            issued_at=notice.issued_at,
        ),
    )
    store = notice_keys.KeyStore(keys.folder)
    key = store.office_key(office.code, office.name_zh, now, autocreate=keys.autocreate)
    return notice_keys.sign_pdf(
        pdf,
        store,
        key,
        reason=f"{notice.text['zh']['title']} {notice.number}",
        location=office.name_zh,
    )


def document(notice_id: int, keys: KeySettings, verify_base: str, now: datetime) -> bytes:
    """The notice's signed PDF: the kept one, or drawn, signed and kept now (first use)."""
    notice = db.session.get(Notice, notice_id)
    if notice is None:
        raise LookupError(notice_id)
    if notice.pdf is not None:
        return base64.b64decode(crypto.open_(notice.pdf, PDF_PURPOSE))
    data = render_signed(notice, keys, verify_base, now)
    digest = hashlib.sha256(data).hexdigest()
    signer = notice_keys.KeyStore(keys.folder).office_key(
        notice.office.code, notice.office.name_zh, now, autocreate=False
    )
    with write_transaction() as session:
        done = session.execute(
            sa.update(Notice)
            .where(Notice.id == notice_id, Notice.pdf.is_(None))
            .values(
                pdf=crypto.seal(base64.b64encode(data).decode(), PDF_PURPOSE),
                digest=digest,
                rendered_at=now,
                signer=signer.fingerprint,
            )
            .execution_options(synchronize_session=False)
        )
    if done.rowcount != 1:  # type: ignore[attr-defined]  # another request kept its own first
        db.session.expire_all()
        kept = db.session.get(Notice, notice_id)
        assert kept is not None and kept.pdf is not None  # noqa: S101
        return base64.b64decode(crypto.open_(kept.pdf, PDF_PURPOSE))
    return data


@dataclass(frozen=True)
class Verification:
    """What /verify may say about a genuine document: nothing about the person."""

    kind: NoticeKind
    number: str
    office_zh: str
    office_en: str
    issued_on: date
    digest: str
    code: str


def verify(
    code_text: str, keys: KeySettings, verify_base: str, now: datetime
) -> Verification | None:
    """The public facts of the notice with this code; None for an unknown or malformed code."""
    code = normalise_code(code_text or "")
    if code is None:
        return None
    notice = db.session.scalars(
        sa.select(Notice).where(Notice.verification_code == code)
    ).one_or_none()
    if notice is None:
        return None
    if notice.digest is None:  # never downloaded yet: draw it now, so there is a digest to show
        document(notice.id, keys, verify_base, now)
        db.session.expire_all()
        notice = db.session.get(Notice, notice.id)
        assert notice is not None and notice.digest is not None  # noqa: S101
    return Verification(
        kind=NoticeKind(notice.kind),
        number=notice.number,
        office_zh=notice.office.name_zh,
        office_en=notice.office.name_en,
        issued_on=local_date(notice.issued_at),
        digest=notice.digest,
        code=code,
    )


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def signature_check(data: bytes, keys: KeySettings) -> notice_keys.SignatureCheck:
    return notice_keys.check_signature(data, notice_keys.KeyStore(keys.folder))
