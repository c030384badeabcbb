"""Signed webhooks for office back-ends (Standard Webhooks; INTERFACES.md, "Webhooks").

How a delivery travels:

1. ``record`` runs inside the transaction that writes a case event (``case_store.record_event``):
   for every active endpoint of the office holding custody before or after the move that
   subscribed to the event's type, it adds a ``WebhookDelivery`` row with its ``msg_…`` id,
   its payload and the next ``sequence`` for that (endpoint, case). The row is the outbox: the
   event and its deliveries commit together or not at all.
2. ``deliver_due`` (a job; also run by the periodic catch-up) picks the rows that are due and
   whose earlier deliveries for the same (endpoint, case) are no longer pending, *claims* each
   in a transaction of its own (``claimed_until`` = now + lease; a second worker's claim finds
   nothing to update), POSTs the signed body, then records the attempt and the outcome.
   2xx: delivered. Anything else: retried with exponential backoff and jitter for at least
   24 hours (``BACKOFF``), then ``failed``.
3. A worker that dies between claim and record leaves a claim that runs out; the row is then
   sent again *with the same webhook-id* (receivers dedupe on it, as the specification asks).
   A row is never sent as a new message, and never sent after it was recorded delivered.

Outbound safety: only ``http``/``https`` URLs without credentials. The host's addresses are
resolved at every attempt, and the request connects to the address checked (no second DNS
look-up). Private, loopback, link-local, reserved and multicast addresses are refused unless
the host is on the operator's allow-list (``WEBHOOK_ALLOWED_HOSTS``) or the operator allows
private targets (``WEBHOOK_ALLOW_PRIVATE``; tests, and a single-machine set-up). Redirects are
not followed (a 3xx counts as a failed attempt).
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import json
import random
import secrets
import socket
import ssl
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from ..database import write_transaction
from ..domain.actions import Action
from ..domain.errors import DomainError
from ..extensions import db
from ..models import (
    Case,
    CaseEvent,
    Office,
    User,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

EVENT_PREFIX = "case."
EVENT_TYPES: tuple[str, ...] = tuple(EVENT_PREFIX + a.value for a in Action)
# Delays after the 1st, 2nd … failed attempt (Standard Webhooks' suggested schedule): the 8th
# failure, about 27.5 hours after the event (at least 24 h with the jitter), gives up.
BACKOFF: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
RETRY_FOR_AT_LEAST = timedelta(hours=24)
JITTER = 0.1  # each delay is stretched or shrunk by up to 10 %
WAKE_KEY = "wake"  # session.info: which jobs a commit should trigger (tracker/jobs.py)
USER_AGENT = "Tongban-Webhooks/1"


class WebhookError(DomainError):
    """A registration refused; ``field`` names the form field at fault."""

    code = "webhook_invalid"

    def __init__(self, message: str, *, code: str, field: str | None = None) -> None:
        super().__init__(message, code=code)
        self.field = field


class UnsafeTarget(Exception):
    """The URL may not be called (scheme, credentials, or a refused address)."""


@dataclass(frozen=True)
class Policy:
    """What the operator allows outbound (from the app's settings)."""

    allow_private: bool = False
    allowed_hosts: frozenset[str] = frozenset()
    timeout: float = 10.0
    claim_seconds: float = 60.0


# ---- registration ----------------------------------------------------------------------------


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def normalise_events(raw: Iterable[str]) -> list[str]:
    """``accept`` or ``case.accept`` → ``case.accept``; an empty list means every event."""
    chosen: list[str] = []
    for item in raw:
        name = item.strip()
        if not name:
            continue
        if not name.startswith(EVENT_PREFIX):
            name = EVENT_PREFIX + name
        if name not in EVENT_TYPES:
            raise WebhookError(f"未知的事件类型：{item}", code="unknown_event", field="events")
        if name not in chosen:
            chosen.append(name)
    return chosen


def check_url_shape(url: str) -> str:
    url = url.strip()
    if len(url) > 500:
        raise WebhookError("地址过长（最多500个字符）", code="url_too_long", field="url")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError(
            "请填写以 http:// 或 https:// 开头的完整地址", code="url_scheme", field="url"
        )
    if parts.username or parts.password:
        raise WebhookError("地址中不能包含用户名或密码", code="url_credentials", field="url")
    try:
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        raise WebhookError("端口号无效", code="url_port", field="url") from None
    return url


def register_endpoint(
    office_id: int,
    url: str,
    events: Iterable[str],
    *,
    created_by: User | None,
    created_by_name: str,
    now: datetime,
    policy: Policy,
) -> tuple[WebhookEndpoint, str]:
    """Add an endpoint; returns it and its secret (shown once: keep it)."""
    url = check_url_shape(url)
    chosen = normalise_events(events)
    host = urlsplit(url).hostname or ""
    try:
        _check_host(host, urlsplit(url).port or 443, policy, resolve=False)
    except UnsafeTarget as exc:
        raise WebhookError(str(exc), code="url_refused", field="url") from None
    secret = new_secret()
    with write_transaction() as session:
        if session.get(Office, office_id) is None:
            raise WebhookError("部门不存在", code="unknown_office", field="office")
        endpoint = WebhookEndpoint(
            office_id=office_id,
            url=url,
            events=chosen,
            secret=secret,
            active=True,
            created_at=now,
            created_by_id=created_by.id if created_by else None,
            created_by_name=((created_by.username if created_by else None) or created_by_name)[:64],
        )
        session.add(endpoint)
    return endpoint, secret


def endpoints(office_id: int | None = None) -> list[WebhookEndpoint]:
    query = sa.select(WebhookEndpoint).order_by(WebhookEndpoint.id)
    if office_id is not None:
        query = query.where(WebhookEndpoint.office_id == office_id)
    return list(db.session.scalars(query))


def _own_endpoint(session: Session, office_id: int | None, endpoint_id: int) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or (office_id is not None and endpoint.office_id != office_id):
        raise WebhookError("没有这个推送地址", code="not_found")
    return endpoint


def disable_endpoint(office_id: int | None, endpoint_id: int, now: datetime) -> WebhookEndpoint:
    """Stop sending to an endpoint; what still waited for it is marked failed."""
    with write_transaction() as session:
        endpoint = _own_endpoint(session, office_id, endpoint_id)
        if endpoint.active:
            endpoint.active, endpoint.disabled_at = False, now
            session.execute(
                sa.update(WebhookDelivery)
                .where(
                    WebhookDelivery.endpoint_id == endpoint.id,
                    WebhookDelivery.status == "pending",
                )
                .values(status="failed", last_error="endpoint disabled", claimed_until=None)
            )
    return endpoint


def rotate_secret(office_id: int | None, endpoint_id: int) -> str:
    """A new secret from now on (shown once); deliveries not yet sent are signed with it."""
    secret = new_secret()
    with write_transaction() as session:
        endpoint = _own_endpoint(session, office_id, endpoint_id)
        if not endpoint.active:
            raise WebhookError("该推送地址已停用", code="disabled")
        endpoint.secret = secret
    return secret


def recent_deliveries(office_id: int, limit: int = 50) -> list[WebhookDelivery]:
    return list(
        db.session.scalars(
            sa.select(WebhookDelivery)
            .join(WebhookEndpoint)
            .where(WebhookEndpoint.office_id == office_id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


def attempts_of(delivery_ids: Sequence[int]) -> dict[int, list[WebhookAttempt]]:
    found: dict[int, list[WebhookAttempt]] = {i: [] for i in delivery_ids}
    if delivery_ids:
        for attempt in db.session.scalars(
            sa.select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(delivery_ids))
            .order_by(WebhookAttempt.id)
        ):
            found[attempt.delivery_id].append(attempt)
    return found


# ---- the outbox, written with the event ------------------------------------------------------


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def payload_of(event: CaseEvent, case: Case, custody_code: str, now: datetime) -> dict[str, Any]:
    """What an office back-end hears: the case's state, never the applicant's personal data."""
    return {
        "type": EVENT_PREFIX + event.action,
        "timestamp": _z(now),
        "data": {
            "tracking_number": case.tracking_number,
            "status": case.status.value,
            "status_code": case.status.code,
            "version": case.version,
            "action": event.action,
            "at": _z(event.at),
            "custody_office": custody_code,
            "reason": event.reason,
        },
    }


def record(
    session: Session, event: CaseEvent, case: Case, custody_before: int | None, now: datetime
) -> int:
    """Add the deliveries of one event (in the caller's transaction); returns how many."""
    offices = {case.custody_office_id}
    if custody_before is not None:
        offices.add(custody_before)
    event_type = EVENT_PREFIX + event.action
    targets = [
        e
        for e in session.scalars(
            sa.select(WebhookEndpoint).where(
                WebhookEndpoint.office_id.in_(offices), WebhookEndpoint.active.is_(True)
            )
        )
        if e.wants(event_type)
    ]
    if not targets:
        return 0
    session.flush()  # the event's id
    custody_code = session.scalar(sa.select(Office.code).where(Office.id == case.custody_office_id))
    payload = payload_of(event, case, custody_code or "", now)
    for endpoint in targets:
        last = session.scalar(
            sa.select(sa.func.max(WebhookDelivery.sequence)).where(
                WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.case_id == case.id
            )
        )
        session.add(
            WebhookDelivery(
                message_id=f"msg_{uuid.uuid4().hex}",
                endpoint_id=endpoint.id,
                case_id=case.id,
                event_id=event.id,
                sequence=(last or 0) + 1,
                event_type=event_type,
                payload=payload,
                status="pending",
                attempts=0,
                created_at=now,
                next_attempt_at=now,
            )
        )
    session.info.setdefault(WAKE_KEY, set()).add("webhooks")
    return len(targets)


# ---- delivery --------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0  # claimed by another worker first

    def __str__(self) -> str:
        return (
            f"{self.delivered} delivered, {self.retried} to retry, {self.failed} given up, "
            f"{self.skipped} taken by another worker"
        )


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _earlier_pending() -> sa.ColumnElement[bool]:
    earlier = sa.orm.aliased(WebhookDelivery)
    return sa.exists().where(
        earlier.endpoint_id == WebhookDelivery.endpoint_id,
        earlier.case_id == WebhookDelivery.case_id,
        earlier.sequence < WebhookDelivery.sequence,
        earlier.status == "pending",
    )


def _due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        WebhookDelivery.status == "pending",
        WebhookDelivery.next_attempt_at <= now,
        sa.or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
        ~_earlier_pending(),
    )


def due_ids(now: datetime, limit: int = 100) -> list[int]:
    ids = list(
        db.session.scalars(
            sa.select(WebhookDelivery.id)
            .where(_due(now))
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
        )
    )
    db.session.rollback()  # end the read snapshot: claims start fresh transactions
    return ids


def claim(delivery_id: int, now: datetime, policy: Policy) -> datetime | None:
    """Take the row for one attempt; returns the claim (its token) or None when it is not due,
    waits behind an earlier delivery, or another worker holds it."""
    until = now + timedelta(seconds=policy.claim_seconds)
    with write_transaction() as session:
        result = session.execute(
            sa.update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id, _due(now))
            .values(claimed_until=until, attempts=WebhookDelivery.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        won = result.rowcount == 1  # type: ignore[attr-defined]
    return until if won else None


def next_attempt(attempts: int, created_at: datetime, now: datetime) -> datetime | None:
    """When to try again after ``attempts`` failures, or None to give up."""
    if attempts <= len(BACKOFF):
        delay = BACKOFF[attempts - 1].total_seconds()
        delay *= 1 + random.uniform(-JITTER, JITTER)  # noqa: S311 (spreading load, not secrecy)
        return now + timedelta(seconds=delay)
    if now - created_at < RETRY_FOR_AT_LEAST:
        return created_at + RETRY_FOR_AT_LEAST
    return None


def body_of(delivery: WebhookDelivery) -> str:
    return json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":"))


def signed_headers(secret: str, message_id: str, body: str, now: datetime) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


Clock = Callable[[], datetime]


def wall_clock() -> datetime:
    return datetime.now(UTC)


def deliver_one(delivery_id: int, policy: Policy, clock: Clock = wall_clock) -> str:
    """One attempt at one delivery; returns what became of it (or "skipped")."""
    now = clock()
    token = claim(delivery_id, now, policy)
    if token is None:
        return "skipped"
    delivery = db.session.get(WebhookDelivery, delivery_id)
    assert delivery is not None  # noqa: S101 (claimed just now, rows are never deleted)
    endpoint = delivery.endpoint
    body = body_of(delivery)
    # Signed with the real time of sending: receivers check it against their own clock.
    headers = signed_headers(endpoint.secret, delivery.message_id, body, datetime.now(UTC))
    url = endpoint.url
    db.session.rollback()  # no transaction held open while the request is in flight
    outcome = post(url, body.encode(), headers, policy)
    return _record_outcome(delivery_id, token, outcome, clock())


def _record_outcome(delivery_id: int, token: datetime, outcome: Outcome, done: datetime) -> str:
    with write_transaction() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.claimed_until != token:
            return "skipped"  # our claim ran out and another worker took the row
        session.add(
            WebhookAttempt(
                delivery_id=delivery_id,
                at=done,
                status_code=outcome.status_code,
                error=(outcome.error or None) and str(outcome.error)[:500],
                duration_ms=outcome.duration_ms,
            )
        )
        delivery.claimed_until = None
        delivery.last_status_code = outcome.status_code
        delivery.last_error = (outcome.error or None) and str(outcome.error)[:500]
        if outcome.ok:
            delivery.status, delivery.delivered_at = "delivered", done
            return "delivered"
        retry_at = next_attempt(delivery.attempts, delivery.created_at, done)
        if retry_at is None:
            delivery.status = "failed"
            return "failed"
        delivery.next_attempt_at = retry_at
        return "retried"


def deliver_due(policy: Policy, clock: Clock = wall_clock, *, limit: int = 500) -> DeliveryReport:
    """Send everything due, in order per (endpoint, case); safe to run from several workers.
    ``clock`` is read afresh for every claim, so a long batch never claims with a stale time."""
    report = DeliveryReport()
    budget = limit
    while budget > 0:
        ids = due_ids(clock(), min(budget, 100))
        if not ids:
            break
        progressed = False
        for delivery_id in ids:
            result = deliver_one(delivery_id, policy, clock)
            budget -= 1
            if result == "skipped":
                report.skipped += 1
                continue
            progressed = True
            setattr(report, result, getattr(report, result) + 1)
        if not progressed:
            break
    return report


# ---- the request -----------------------------------------------------------------------------


def _refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return bool(
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


def _check_host(host: str, port: int, policy: Policy, *, resolve: bool = True) -> str | None:
    """The address to connect to (checked), or None when only the shape was checked."""
    trusted = policy.allow_private or host.lower() in policy.allowed_hosts
    if policy.allowed_hosts and host.lower() not in policy.allowed_hosts:
        raise UnsafeTarget(f"主机 {host} 不在允许推送的清单中")
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None and not trusted and _refused(literal):
        raise UnsafeTarget(f"不允许推送到内网或保留地址 {host}")
    if not resolve:
        return None
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if not infos:
        raise UnsafeTarget(f"无法解析主机 {host}")
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not trusted and _refused(address):
            raise UnsafeTarget(f"不允许推送到内网或保留地址 {host} ({address})")
    return str(infos[0][4][0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(url: str, body: bytes, headers: dict[str, str], policy: Policy) -> Outcome:
    """POST once; never raises (every failure is an outcome to record)."""
    started = time.monotonic()
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    host = parts.hostname or ""
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        if parts.scheme not in ("http", "https"):
            raise UnsafeTarget("只允许 http 和 https 地址")
        address = _check_host(host, port, policy) or host
        kind = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
        conn = kind(host, port, address, policy.timeout)
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read(64 * 1024)
            status: int | None = response.status
            error = None if 200 <= response.status < 300 else f"HTTP {response.status}"
        finally:
            conn.close()
    except TimeoutError:
        status, error = None, f"timeout after {policy.timeout:g}s"
    except (OSError, http.client.HTTPException, UnsafeTarget, ssl.SSLError) as exc:
        status, error = None, f"{type(exc).__name__}: {exc}"
    return Outcome(status, error, int((time.monotonic() - started) * 1000))
