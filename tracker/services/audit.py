"""The audit log: append sealed rows, verify the chain (SECURITY.md #17).

Every row is written by :func:`record`, inside the caller's write transaction, sealed with
the previous row's seal (``tracker/domain/auditchain.py``). Appends must be serial for the
chain to be a chain: on SQLite the write transaction already holds the database's write lock
(``BEGIN IMMEDIATE``); on PostgreSQL :func:`record` takes a transaction-scoped advisory lock
before reading the last seal.

The key is ``AUDIT_KEY`` when set, else derived from ``SECRET_KEY``: rotating the secret key
without setting ``AUDIT_KEY`` to the old derived value makes every existing row fail
verification (docs/security.md). ``create_app`` hands this module the application's settings
with :func:`configure` (the mapping itself, not a copy: a key changed later is seen).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..domain.auditchain import GENESIS, Verdict, first_break, seal
from ..extensions import db
from ..models import AuditEntry

ADVISORY_LOCK = 0x70B4_A0D1  # PostgreSQL: one appender at a time (any 64-bit constant)


_settings: Mapping[str, Any] = {}


def configure(settings: Mapping[str, Any]) -> None:
    """Where ``AUDIT_KEY`` and ``SECRET_KEY`` are read from (the app's config)."""
    global _settings
    _settings = settings


def audit_key() -> bytes:
    configured = _settings.get("AUDIT_KEY")
    if configured:
        return str(configured).encode()
    if not _settings.get("SECRET_KEY"):
        raise RuntimeError("audit log: no key configured (create_app calls audit.configure)")
    secret = str(_settings["SECRET_KEY"]).encode()
    return hmac.new(secret, b"tongban audit log", hashlib.sha256).digest()


def record(
    session: Session,
    *,
    at: datetime,
    action: str,
    success: bool,
    user_id: int | None = None,
    ip: str | None = None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one sealed row (the caller commits)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK})
    prev = session.scalar(sa.select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    entry = AuditEntry(
        at=at,
        user_id=user_id,
        action=action,
        success=success,
        ip=(ip or None) and ip[:45],
        target=target and target[:128],
        detail=detail or {},
        prev_hash=prev or GENESIS,
    )
    session.add(entry)
    session.flush()  # the id is part of the seal
    entry.hash = seal(audit_key(), entry, entry.prev_hash or GENESIS)
    return entry


def record_denial(
    *,
    user_id: int | None,
    path: str,
    method: str,
    status: int,
    ip: str | None,
    now: datetime,
    token_id: int | None = None,
) -> None:
    """A refusal (SECURITY.md #3: denials are audited): a signed-in user refused (403) or told
    a thing does not exist (404) inside a role's pages; a call to the API or Open311 without a
    valid key (401), refused (403), or out of its key's scope (404, ``token_id`` names the
    key). Its own transaction: whatever the refused request did is not part of it."""
    from ..database import write_transaction

    detail: dict[str, Any] = {"status": status, "method": method}
    if token_id is not None:
        detail["token"] = token_id
    with write_transaction() as session:
        record(
            session,
            at=now,
            action="denied",
            success=False,
            user_id=user_id,
            ip=ip,
            target=path,
            detail=detail,
        )


def _rows(batch: int = 2000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.id > last).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id
        db.session.expunge_all()


def verify() -> Verdict:
    """Walk the whole log in id order; the verdict names the first row that does not fit."""
    return first_break(audit_key(), _rows())


def seal_unsealed(session: Session) -> int:
    """Seal the rows written before seals existed (they must all come after the last sealed
    row, as they do when the migration that added seals runs); returns how many. An unsealed
    row *between* sealed ones is refused: sealing it would bless whatever was done to it."""
    rows = list(session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))
    start = next((i for i, r in enumerate(rows) if not r.hash), len(rows))
    if any(r.hash for r in rows[start:]):
        raise RuntimeError(
            "audit log: unsealed rows between sealed ones; run "
            "`tracker audit verify` and investigate before sealing anything"
        )
    key, prev = audit_key(), rows[start - 1].hash if start else GENESIS
    for row in rows[start:]:
        row.prev_hash = prev or GENESIS
        row.hash = seal(key, row, row.prev_hash)
        prev = row.hash
    return len(rows) - start
