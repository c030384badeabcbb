"""Send what waits in the outbox: every SMS/e-mail was written in the same transaction as the
change it reports, so nothing is announced that did not happen, and nothing is lost on a crash.

Senders are pluggable: ``LogSender`` (default: the message goes to the log, where a gateway
can pick it up), ``SmtpSender`` for e-mail when ``MAIL_SERVER`` is configured.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Protocol

import sqlalchemy as sa

from ..database import write_transaction
from ..models import OutboxMessage

log = logging.getLogger("tracker.outbox")


class Sender(Protocol):
    def send(self, message: OutboxMessage) -> None: ...


class LogSender:
    def send(self, message: OutboxMessage) -> None:
        log.info("outbox %s to %s: %s", message.channel, message.recipient, message.subject)


class SmtpSender:
    def __init__(self, config: Mapping[str, Any]) -> None:
        self.host = config["MAIL_SERVER"]
        self.port = int(config.get("MAIL_PORT", 25))
        self.sender = config.get("MAIL_FROM", "noreply@tongban.invalid")
        self.user = config.get("MAIL_USERNAME")
        self.password = config.get("MAIL_PASSWORD")
        self.tls = bool(config.get("MAIL_STARTTLS", True))

    def send(self, message: OutboxMessage) -> None:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = self.sender, message.recipient, message.subject
        mail.set_content(message.body)
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            if self.tls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(mail)


def senders_for(config: Mapping[str, Any]) -> dict[str, Sender]:
    email: Sender = SmtpSender(config) if config.get("MAIL_SERVER") else LogSender()
    return {"sms": LogSender(), "email": email}


def deliver_pending(
    senders: Mapping[str, Sender], now: datetime, *, limit: int = 200, max_attempts: int = 5
) -> tuple[int, int]:
    """Try each pending message once; returns (sent, failed). Safe to run from cron and from
    several workers at once. A crash mid-batch rolls the batch back: nothing is lost, and
    what had gone out before the crash may go out again (at least once, never lost)."""
    sent = failed = 0
    with write_transaction() as session:
        batch = session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.state == "pending")
            .order_by(OutboxMessage.id)
            .limit(limit)
            # Two jobs at once (a commit's trigger and the catch-up, or two workers): on
            # PostgreSQL each takes rows the other has not locked; SQLite's BEGIN IMMEDIATE
            # runs them one after the other. Either way a message is sent once.
            .with_for_update(skip_locked=True)
        ).all()
        for message in batch:
            message.attempts += 1
            try:
                senders[message.channel].send(message)
            except Exception as exc:  # a gateway error must not lose the rest of the batch
                message.error = str(exc)[:500]
                if message.attempts >= max_attempts:
                    message.state = "failed"
                failed += 1
            else:
                message.state, message.sent_at, message.error = "sent", now, None
                sent += 1
    return sent, failed
