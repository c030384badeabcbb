"""How long records are kept (issue #13, "a retention job"; docs/security.md, "Retention").

Run daily by the worker (``tracker/jobs.py``, ``retention``) and by hand with
``flask --app wsgi tracker prune``. Each kind of record has its own period, from the app's
settings; ``None`` keeps it for ever:

- ``RETAIN_NOTIFICATIONS_DAYS`` (730): an applicant's *read* notifications; unread ones stay.
- ``RETAIN_OUTBOX_DAYS`` (90): SMS and e-mails sent or given up on (they hold the recipient).
- ``RETAIN_IDEMPOTENCY_HOURS`` (72): API idempotency keys; a replay after that files anew
  (docs/api.md says so).
- ``RETAIN_PHONE_CODES_DAYS`` (2): one-time codes, long past their expiry and rate windows.
- ``RETAIN_WEBHOOK_DAYS`` (90): webhook deliveries delivered or given up on, with attempts.
- The audit log is never pruned here: SECURITY.md wants at least six months, and its rows are
  a hash chain verified from the first row; ``RETAIN_AUDIT_DAYS`` below 183 is refused at
  start (:func:`policy_from`), and pruning it is left to an export by the operator.

Deletes go in batches, one transaction each, so a big first run does not hold the write lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ..database import write_transaction
from ..models import (
    ApiIdempotencyKey,
    Notification,
    OutboxMessage,
    PhoneCode,
    WebhookAttempt,
    WebhookDelivery,
)

AUDIT_MINIMUM_DAYS = 183
BATCH = 1000


@dataclass(frozen=True)
class Policy:
    notifications_days: int | None = 730
    outbox_days: int | None = 90
    idempotency_hours: int | None = 72
    phone_codes_days: int | None = 2
    webhook_days: int | None = 90


def _period(settings: Mapping[str, Any], key: str, default: int | None) -> int | None:
    value = settings.get(key, default)
    if value is None or value == "":
        return None
    number = int(value)
    if number < 0:
        raise ValueError(f"{key} must be 0 or more (or unset to keep for ever)")
    return number


def policy_from(settings: Mapping[str, Any]) -> Policy:
    audit = settings.get("RETAIN_AUDIT_DAYS")
    if audit not in (None, "") and int(audit) < AUDIT_MINIMUM_DAYS:
        raise ValueError(f"RETAIN_AUDIT_DAYS must be at least {AUDIT_MINIMUM_DAYS}")
    d = Policy()
    return Policy(
        notifications_days=_period(settings, "RETAIN_NOTIFICATIONS_DAYS", d.notifications_days),
        outbox_days=_period(settings, "RETAIN_OUTBOX_DAYS", d.outbox_days),
        idempotency_hours=_period(settings, "RETAIN_IDEMPOTENCY_HOURS", d.idempotency_hours),
        phone_codes_days=_period(settings, "RETAIN_PHONE_CODES_DAYS", d.phone_codes_days),
        webhook_days=_period(settings, "RETAIN_WEBHOOK_DAYS", d.webhook_days),
    )


@dataclass
class Pruned:
    counts: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in self.counts.items()) or "nothing to prune"


def _delete_ids(model: Any, where: sa.ColumnElement[bool], before: Any = None) -> int:
    """Delete the rows of ``model`` matching ``where`` in batches; ``before`` deletes what
    refers to each batch first (given the ids)."""
    total = 0
    while True:
        with write_transaction() as session:
            ids = list(session.scalars(sa.select(model.id).where(where).limit(BATCH)))
            if not ids:
                return total
            if before is not None:
                before(session, ids)
            session.execute(sa.delete(model).where(model.id.in_(ids)))
        total += len(ids)


def prune(policy: Policy, now: datetime) -> Pruned:
    done = Pruned()
    if policy.notifications_days is not None:
        cut = now - timedelta(days=policy.notifications_days)

        def unlink_outbox(session: Any, ids: list[int]) -> None:
            session.execute(
                sa.update(OutboxMessage)
                .where(OutboxMessage.notification_id.in_(ids))
                .values(notification_id=None)
            )

        done.counts["notifications"] = _delete_ids(
            Notification,
            sa.and_(Notification.read_at.is_not(None), Notification.created_at < cut),
            unlink_outbox,
        )
    if policy.outbox_days is not None:
        cut = now - timedelta(days=policy.outbox_days)
        done.counts["outbox"] = _delete_ids(
            OutboxMessage,
            sa.and_(OutboxMessage.state.in_(("sent", "failed")), OutboxMessage.created_at < cut),
        )
    if policy.idempotency_hours is not None:
        cut = now - timedelta(hours=policy.idempotency_hours)
        done.counts["idempotency keys"] = _delete_ids(
            ApiIdempotencyKey, ApiIdempotencyKey.created_at < cut
        )
    if policy.phone_codes_days is not None:
        cut = now - timedelta(days=policy.phone_codes_days)
        done.counts["phone codes"] = _delete_ids(PhoneCode, PhoneCode.created_at < cut)
    if policy.webhook_days is not None:
        cut = now - timedelta(days=policy.webhook_days)

        def attempts(session: Any, ids: list[int]) -> None:
            session.execute(sa.delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(ids)))

        done.counts["webhook deliveries"] = _delete_ids(
            WebhookDelivery,
            sa.and_(
                WebhookDelivery.status.in_(("delivered", "failed")),
                WebhookDelivery.created_at < cut,
            ),
            attempts,
        )
    return done
