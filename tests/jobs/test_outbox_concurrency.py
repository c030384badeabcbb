"""Two outbox jobs at once (the commit's trigger and the periodic catch-up, or two workers)
send each SMS/e-mail once, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime

import sqlalchemy as sa

from tests.builders import citizen, submit
from tracker.extensions import db
from tracker.models import OutboxMessage
from tracker.services.outbox import deliver_pending


class SlowSender:
    def __init__(self, sent: Counter[int], lock: threading.Lock) -> None:
        self.sent, self.lock = sent, lock

    def send(self, message: OutboxMessage) -> None:
        time.sleep(0.05)  # a gateway takes its time: the other job runs meanwhile
        with self.lock:
            self.sent[message.id] += 1


def two_jobs_at_once(app) -> Counter[int]:  # type: ignore[no-untyped-def]
    for _ in range(3):
        submit("hf-retirement-withdrawal", citizen(), "500112-hf", "510100-hf")
    pending = db.session.scalar(
        sa.select(sa.func.count(OutboxMessage.id)).where(OutboxMessage.state == "pending")
    )
    assert pending and pending >= 3
    db.session.remove()
    sent: Counter[int] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(2)

    def job() -> None:
        with app.app_context():
            sender = SlowSender(sent, lock)
            barrier.wait()
            try:
                deliver_pending({"sms": sender, "email": sender}, datetime.now(UTC))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=job) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    states = set(db.session.scalars(sa.select(OutboxMessage.state)))
    assert states == {"sent"}
    assert len(sent) == pending
    return sent


def test_two_outbox_jobs_send_each_message_once_on_sqlite(app):
    assert set(two_jobs_at_once(app).values()) == {1}


def test_two_outbox_jobs_send_each_message_once_on_postgresql(pg_app):
    assert set(two_jobs_at_once(pg_app).values()) == {1}
