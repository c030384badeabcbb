"""Tamper evidence for the audit log (SECURITY.md #17).

Each row is sealed with ``HMAC-SHA256(key, its content + the previous row's seal)``. Whoever
can write to the database but does not hold the key cannot change, delete, insert or reorder
rows without breaking the chain at that point: :func:`first_break` walks the rows in id
order and names the first one that does not fit. Deleting rows at the *end* leaves a shorter
valid chain; that is caught by comparing the head (count and last seal, printed by
``tracker audit verify``) with one recorded earlier outside the database.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

GENESIS = ""  # the "previous seal" of the first row


class SealedRow(Protocol):
    id: int
    at: datetime
    user_id: int | None
    action: str
    success: bool
    ip: str | None
    target: str | None
    detail: Mapping[str, Any] | None
    prev_hash: str | None
    hash: str | None


def seal(key: bytes, row: SealedRow, prev_hash: str) -> str:
    """The row's seal: every stored field, its id (so a reorder shows) and the previous seal."""
    content = [
        row.id,
        row.at.astimezone(UTC).isoformat(timespec="microseconds"),
        row.user_id,
        row.action,
        bool(row.success),
        row.ip,
        row.target,
        dict(row.detail or {}),
        prev_hash,
    ]
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Break:
    row_id: int
    reason: str


@dataclass(frozen=True)
class Verdict:
    rows: int  # rows checked (up to and including a break)
    head: str  # the last good seal
    broken: Break | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None


def first_break(key: bytes, rows: Iterable[SealedRow]) -> Verdict:
    """Check ``rows`` (in id order) against the chain; stop at the first that does not fit."""
    prev, count = GENESIS, 0
    for row in rows:
        count += 1
        if row.prev_hash != prev:
            return Verdict(
                count,
                prev,
                Break(row.id, "chain broken before this row: a row was deleted, inserted or moved"),
            )
        if not row.hash or not hmac.compare_digest(row.hash, seal(key, row, prev)):
            return Verdict(
                count,
                prev,
                Break(
                    row.id, "the row does not match its seal: changed, or written without the key"
                ),
            )
        prev = row.hash
    return Verdict(count, prev)
