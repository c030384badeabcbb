"""Idempotency keys for API writes (INTERFACES.md, SECURITY.md #11).

A write that creates carries an ``Idempotency-Key``. :func:`begin` claims the key for the
token in its own committed transaction, so a second request with the same key sees the claim
at once, whichever process serves it:

- the same key and the same request, answered before: :class:`Replay` of the stored answer;
- the same key and the same request, still being served: :class:`InFlight` (HTTP 409);
- the same key with another request: :class:`KeyReused` (HTTP 422).

The unique constraint on (token, key) decides between two requests that claim a key at the
same moment: exactly one insert wins, on SQLite and PostgreSQL alike. :func:`finish` stores the
answer of a request that created something; :func:`release` drops the claim of one that
created nothing (refused or failed), so the client may send the corrected request under the
same key. A claim left behind by a process that died mid-request is released after
``STALE_AFTER`` (the case itself is protected by its own per-applicant key meanwhile).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..database import write_transaction
from ..domain.errors import DomainError
from ..extensions import db
from ..models import ApiIdempotencyKey

KEY_MAX = 255
STALE_AFTER = timedelta(minutes=5)


class InFlight(DomainError):
    code = "idempotency_in_flight"


class KeyReused(DomainError):
    code = "idempotency_key_reused"


@dataclass(frozen=True)
class Replay:
    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Claim:
    id: int


def request_hash(parts: Mapping[str, Any]) -> str:
    """SHA-256 of the request's parts in canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _existing(token_id: int, key: str) -> ApiIdempotencyKey | None:
    return db.session.scalars(
        sa.select(ApiIdempotencyKey)
        .where(ApiIdempotencyKey.token_id == token_id, ApiIdempotencyKey.key == key)
        .execution_options(populate_existing=True)
    ).one_or_none()


def _insert(token_id: int, key: str, digest: str, now: datetime) -> Claim | None:
    try:
        with write_transaction() as session:
            row = ApiIdempotencyKey(
                token_id=token_id, key=key, request_hash=digest, state="in_flight", created_at=now
            )
            session.add(row)
            session.flush()
            return Claim(row.id)
    except IntegrityError:
        return None


def begin(token_id: int, key: str, digest: str, now: datetime) -> Claim | Replay:
    """Claim ``key`` for this request, or the stored answer; raises :class:`InFlight` or
    :class:`KeyReused`."""
    if not 1 <= len(key) <= KEY_MAX:
        raise KeyReused(f"Idempotency-Key 须为 1–{KEY_MAX} 个字符", code="idempotency_key_length")
    for _attempt in range(3):
        claim = _insert(token_id, key, digest, now)
        if claim is not None:
            return claim
        row = _existing(token_id, key)
        if row is None:
            continue  # released between our insert and our read: try again
        if row.request_hash != digest:
            raise KeyReused("该 Idempotency-Key 已用于另一个请求", code="idempotency_key_reused")
        if row.state == "done" and row.response_status is not None:
            return Replay(row.response_status, dict(row.response_body or {}))
        if now - row.created_at < STALE_AFTER:
            raise InFlight("使用该 Idempotency-Key 的请求仍在处理中", code="idempotency_in_flight")
        _release_stale(row.id, row.created_at)
    raise InFlight("使用该 Idempotency-Key 的请求仍在处理中", code="idempotency_in_flight")


def _release_stale(row_id: int, created_at: datetime) -> None:
    with write_transaction() as session:
        session.execute(
            sa.delete(ApiIdempotencyKey).where(
                ApiIdempotencyKey.id == row_id,
                ApiIdempotencyKey.state == "in_flight",
                ApiIdempotencyKey.created_at == created_at,
            )
        )


def finish(
    claim: Claim, status: int, body: Mapping[str, Any], now: datetime, case_id: int | None = None
) -> None:
    """Store the answer a claimed request got; later replays return it."""
    with write_transaction() as session:
        session.execute(
            sa.update(ApiIdempotencyKey)
            .where(ApiIdempotencyKey.id == claim.id)
            .values(
                state="done",
                response_status=status,
                response_body=dict(body),
                case_id=case_id,
                completed_at=now,
            )
        )


def release(claim: Claim) -> None:
    """Drop the claim of a request that created nothing."""
    with write_transaction() as session:
        session.execute(
            sa.delete(ApiIdempotencyKey).where(
                ApiIdempotencyKey.id == claim.id, ApiIdempotencyKey.state == "in_flight"
            )
        )
