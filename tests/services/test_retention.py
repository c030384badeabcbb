"""Issue #13, "a retention job": records past their period are deleted in batches, what is
younger or still needed stays, and the audit log is never pruned below six months."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.api.conftest import token_for
from tests.builders import citizen, submit
from tracker.extensions import db
from tracker.models import (
    ApiIdempotencyKey,
    ApiToken,
    AuditEntry,
    Notification,
    OutboxMessage,
    PhoneCode,
)
from tracker.services import retention
from tracker.services.retention import Policy, policy_from, prune

NOW = datetime(2026, 12, 1, 4, tzinfo=UTC)


def count(model) -> int:  # type: ignore[no-untyped-def]
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_old_records_go_and_young_or_unread_ones_stay(app, monkeypatch):
    monkeypatch.setattr(retention, "BATCH", 2)  # several batches
    person = citizen()
    case = submit("hf-retirement-withdrawal", person, "500112-hf", "510100-hf")
    old, young = NOW - timedelta(days=800), NOW - timedelta(days=10)
    db.session.query(OutboxMessage).delete()
    db.session.query(Notification).delete()
    for at, read in ((old, True), (old, True), (old, True), (old, False), (young, True)):
        note = Notification(
            user_id=person.id,
            case_id=case.id,
            created_at=at,
            title="t",
            body="b",
            read_at=at if read else None,
        )
        db.session.add(note)
        db.session.flush()
        db.session.add(
            OutboxMessage(
                notification_id=note.id,
                channel="sms",
                recipient="13800000000",
                subject="s",
                body="b",
                state="sent",
                created_at=at,
            )
        )
    db.session.add(
        OutboxMessage(
            channel="sms",
            recipient="13800000000",
            subject="s",
            body="b",
            state="pending",
            created_at=old,
        )
    )
    for at in (NOW - timedelta(days=3), NOW - timedelta(hours=1)):
        db.session.add(
            PhoneCode(
                phone="13800000000",
                purpose="register",
                digest="x",
                created_at=at,
                expires_at=at + timedelta(minutes=10),
            )
        )
    token_for(user=person)
    token = db.session.scalars(sa.select(ApiToken)).one()
    if token is not None:
        for at in (NOW - timedelta(hours=100), NOW - timedelta(hours=1)):
            db.session.add(
                ApiIdempotencyKey(
                    token_id=token.id,
                    key=str(at),
                    request_hash="h",
                    state="done",
                    response_status=201,
                    created_at=at,
                )
            )
    db.session.commit()
    audit_before = count(AuditEntry)

    done = prune(Policy(), NOW)

    assert done.counts["notifications"] == 3  # read and older than 730 days
    assert count(Notification) == 2  # the unread one and the young one
    assert done.counts["outbox"] == 4  # sent and old; the pending one stays
    assert count(OutboxMessage) == 2
    assert done.counts["phone codes"] == 1 and count(PhoneCode) == 1
    assert done.counts["idempotency keys"] == 1, (done, count(ApiIdempotencyKey))
    assert count(ApiIdempotencyKey) == 1
    assert count(AuditEntry) == audit_before
    assert str(prune(Policy(), NOW)).count(" 0") == len(done.counts)  # nothing left


def test_settings_choose_the_periods_and_the_audit_log_keeps_six_months():
    policy = policy_from({"RETAIN_NOTIFICATIONS_DAYS": "30", "RETAIN_OUTBOX_DAYS": ""})
    assert policy.notifications_days == 30 and policy.outbox_days is None
    assert policy.idempotency_hours == 72
    with pytest.raises(ValueError, match="at least 183"):
        policy_from({"RETAIN_AUDIT_DAYS": "90"})
    with pytest.raises(ValueError):
        policy_from({"RETAIN_PHONE_CODES_DAYS": "-1"})
